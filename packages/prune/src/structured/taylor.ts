import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, crossEntropy, type Batch, type Callback, type Model, ShapeError } from '@bonsai/core';
import type { Group, InternalGroup } from '@bonsai/graph';
import { internalScores, type InternalImportance } from './heads';
import { positionScores, reduceScores, weightMembers, type GroupImportance, type ReductionOptions } from './importance';
import { MagnitudeTable } from './magnitude-table';

/** Options of {@link taylor}. */
export interface TaylorOptions extends ReductionOptions {
  /** Include biases and BN betas (default false). */
  bias?: boolean;
}

/** Options of {@link TaylorImportance.accumulate}. */
export interface AccumulateOptions {
  /** Loss of (logits, labels); default softmax cross-entropy. */
  loss?: (output: tf.Tensor, labels: tf.Tensor) => tf.Scalar;
  /** Run the model in training mode (batch statistics, dropout); default false. BN running stats are never updated. */
  training?: boolean;
  /** Stop after this many batches. */
  maxBatches?: number;
}

/**
 * First-order Taylor importance (Molchanov et al.): per parameter element |w * dL/dw|, summed over
 * the batches seen, then per unit summed over every member slice and reduced across members.
 * Feed it gradients with {@link TaylorImportance.accumulate} (its own forward/backward passes) or
 * with {@link TaylorImportance.callback} during `train()`. Scores go stale when shapes change:
 * the Pruner calls `reset()` after pruning; accumulate again before the next step.
 */
export class TaylorImportance implements GroupImportance, InternalImportance {
  readonly name = 'taylor';
  private readonly sums = new Map<string, tf.Tensor>();
  private count = 0;

  constructor(private readonly options: TaylorOptions = {}) {}

  /** Batches accumulated since the last reset. */
  get batches(): number {
    return this.count;
  }

  /** Runs forward/backward over `batches` (disposing each batch, like `train`) and accumulates |w * g|. */
  accumulate(model: Model, batches: Iterable<Batch>, options: AccumulateOptions = {}): void {
    const loss = options.loss ?? crossEntropy;
    const params = model.trainableParams();
    const vars = params.map((p) => p.value);
    let seen = 0;
    for (const batch of batches) {
      try {
        // fuse: false: tfjs's fused inference kernels have no gradient kernels on wasm.
        const { value, grads } = tf.variableGrads(() => loss(model.run(batch.x, { training: options.training ?? false, skipStateUpdates: true, fuse: false }).output, batch.y), vars);
        value.dispose();
        const byName: Record<string, tf.Tensor> = {};
        for (const p of params) {
          const g = grads[p.value.name];
          if (g) byName[p.name] = g;
        }
        this.add(model, byName);
        for (const g of Object.values(grads)) g.dispose();
      } finally {
        batch.x.dispose();
        batch.y.dispose();
      }
      if (options.maxBatches !== undefined && ++seen >= options.maxBatches) break;
    }
  }

  /** A `train()` callback accumulating |w * g| from every training step's gradients. */
  callback(): Callback {
    return {
      onAfterBackward: (grads, state) => {
        this.add(state.model, grads);
      },
    };
  }

  /** Drops the accumulated scores. */
  reset(): void {
    for (const t of this.sums.values()) t.dispose();
    this.sums.clear();
    this.count = 0;
  }

  /** Frees the accumulated scores. */
  dispose(): void {
    this.reset();
  }

  score(group: Group): Float32Array | undefined {
    return this.scoreAll([group])[0];
  }

  /** Scores all groups with one read back of every needed sum (see MagnitudeTable). */
  scoreAll(groups: readonly Group[]): Array<Float32Array | undefined> {
    if (this.count === 0) throw new ConfigError('taylor: no gradients accumulated; call accumulate() or train with callback() first', { key: 'importance' });
    if (groups.length === 0) return [];
    const model = groups[0]!.dg.model;
    const lists = groups.map((g) => weightMembers(g, this.options.bias).filter((m) => this.sumOf(model, m.name) !== undefined));
    // The sums are |w·g| >= 0, so core's p = 1 magnitude reduction is their plain sum.
    const table = new MagnitudeTable(model, lists.flat(), 1, (name) => this.sums.get(name)!);
    const reduction = this.options.reduction ?? 'mean';
    const normalizer = this.options.normalizer === undefined ? 'mean' : this.options.normalizer;
    return groups.map((g, i) => reduceScores(lists[i]!.map((m) => positionScores(m, table.at(m), g.size)), g.size, reduction, normalizer));
  }

  /**
   * Taylor scores of an internal group (attention heads, head dims): per unit, the accumulated
   * |w * dL/dw| summed over every weight it owns (its Q/K/V columns and Wo rows; biases with `bias`).
   */
  scoreInternal(group: InternalGroup): Float32Array {
    if (this.count === 0) throw new ConfigError('taylor: no gradients accumulated; call accumulate() or train with callback() first', { key: 'importance' });
    return internalScores(group, (name) => {
      const sum = this.sumOf(group.model, name);
      return sum && { values: sum.dataSync() };
    }, { p: 1, bias: this.options.bias ?? false });
  }

  /** The accumulated sum of param `name` (undefined when it has none); throws when it is stale. */
  private sumOf(model: Model, name: string): tf.Tensor | undefined {
    const sum = this.sums.get(name);
    if (!sum) return undefined;
    const shape = model.params.get(name)!.shape;
    if (sum.shape.length !== shape.length || sum.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`taylor: scores of "${name}" have shape [${sum.shape.join(', ')}] but the param now has [${shape.join(', ')}]; reset() and accumulate again after pruning`);
    }
    return sum;
  }

  private add(model: Model, grads: Readonly<Record<string, tf.Tensor>>): void {
    for (const [name, g] of Object.entries(grads)) {
      const p = model.params.get(name);
      if (!p) continue;
      const prev = this.sums.get(name);
      const stale = prev && (prev.shape.length !== g.shape.length || prev.shape.some((d, i) => d !== g.shape[i]));
      const next = tf.tidy(() => {
        const s = tf.abs(tf.mul(p.effective(), g));
        return prev && !stale ? tf.add(prev, s) : s;
      });
      prev?.dispose();
      this.sums.set(name, next);
    }
    this.count++;
  }
}

/** First-order Taylor importance; see {@link TaylorImportance}. */
export function taylor(options: TaylorOptions = {}): TaylorImportance {
  return new TaylorImportance(options);
}
