import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, getOp, type Batch, type Model, type NodeId } from '@bonsai/core';
import { internalGroups, type InternalGroup } from '@bonsai/graph';
import type { InternalImportance } from './heads';
import type { AccumulateOptions } from './taylor';

/**
 * Head importance by what each head adds to its attention node's output: the per-token L2 norm
 * of head h's term `softmax(q_h k_h^T) v_h Wo_h`, summed over the batches given to
 * {@link HeadOutputNorm.accumulate} (lowest = contributes least, pruned first). The attention
 * output is linear in Wo's rows, so the term is the output minus the output with head h's Wo rows
 * masked to zero: read from the model itself (no copy of the attention math), one extra forward
 * per head. Scores heads only ('heads' groups); the Pruner calls `reset()` after a step.
 */
export class HeadOutputNorm implements InternalImportance {
  readonly name = 'headOutputNorm';
  private readonly sums = new Map<NodeId, Float64Array>();

  /** Runs `batches` (disposing each, like `train`) and adds every head's output norm. */
  accumulate(model: Model, batches: Iterable<Batch>, options: Pick<AccumulateOptions, 'maxBatches'> = {}): void {
    const groups = internalGroups(model, { names: ['heads'] });
    let seen = 0;
    for (const batch of batches) {
      try {
        for (const g of groups) this.addGroup(model, g, batch.x);
      } finally {
        batch.x.dispose();
        batch.y.dispose();
      }
      if (options.maxBatches !== undefined && ++seen >= options.maxBatches) break;
    }
  }

  private addGroup(model: Model, g: InternalGroup, x: tf.Tensor): void {
    const role = getOp(model.graph.node(g.node).op).weightParam;
    const proj = g.members().find((m) => m.role === role);
    if (!proj) throw new ConfigError(`headOutputNorm: node "${g.node}" has no output projection "${String(role)}" among its head slices`, { nodeId: g.node });
    const param = model.params.get(proj.name)!;
    const old = param.mask ? tf.clone(param.mask) : undefined;
    const attn = (): tf.Tensor => model.run(x, { capture: [g.node], fuse: false }).captured[g.node]!;
    const sums = this.sums.get(g.node) ?? new Float64Array(g.count);
    try {
      const full = tf.tidy(attn);
      for (let h = 0; h < g.count; h++) {
        const rows = new Set(proj.indices.filter((_, k) => proj.units[k] === h));
        const keep = tf.tidy(() => {
          const axisMask = tf.tensor1d(Array.from({ length: param.shape[proj.axis]! }, (_, i) => (rows.has(i) ? 0 : 1)));
          const m = tf.reshape(axisMask, param.shape.map((d, i) => (i === proj.axis ? d : 1)));
          return old ? tf.mul(old, m) : tf.mul(tf.onesLike(param.value), m);
        });
        param.setMask(keep);
        keep.dispose();
        const norm = tf.tidy(() => tf.sum(tf.norm(tf.sub(full, attn()), 'euclidean', -1)));
        sums[h] = sums[h]! + norm.dataSync()[0]!;
        norm.dispose();
      }
      full.dispose();
    } finally {
      if (old) {
        param.setMask(old);
        old.dispose();
      } else param.dropMask();
    }
    this.sums.set(g.node, sums);
  }

  scoreInternal(group: InternalGroup): Float32Array {
    if (group.name !== 'heads') throw new ConfigError(`headOutputNorm scores whole heads only, not "${group.name}" of node "${group.node}"`, { key: 'headImportance' });
    const s = this.sums.get(group.node);
    if (!s || s.length !== group.count) throw new ConfigError(`headOutputNorm: no scores for the ${group.count} heads of node "${group.node}": call accumulate(model, batches) before each Pruner step`, { key: 'headImportance' });
    return Float32Array.from(s);
  }

  reset(): void {
    this.sums.clear();
  }
}

/** {@link HeadOutputNorm}: head importance by the norm of each head's contribution to the attention output. */
export function headOutputNorm(): HeadOutputNorm {
  return new HeadOutputNorm();
}
