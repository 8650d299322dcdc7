import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, getOp, paramName, type Callback, type NodeId } from '@bonsai/core';

/** Options of {@link slimmingRegularizer}. */
export interface SlimmingOptions {
  /** Strength of the L1 penalty on BN gamma (the paper uses 1e-4 .. 1e-5 with SGD). */
  lambda: number;
  /** Batch-norm nodes to regularize (default: every batchNorm node). */
  nodes?: readonly NodeId[];
}

/**
 * Network Slimming's sparsity regularizer (Liu et al. 2017) as a `train()` callback: adds
 * `lambda * sign(gamma)` (the subgradient of lambda * |gamma|) to every BN gamma's gradient in
 * `onAfterBackward`, pushing unimportant channels' scales toward 0 for `bnScale` pruning.
 */
export function slimmingRegularizer(options: SlimmingOptions): Callback {
  const { lambda } = options;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new ConfigError(`slimmingRegularizer: lambda must be a finite number >= 0, got ${lambda}`, { key: 'lambda' });
  return {
    onAfterBackward(grads, state) {
      if (lambda === 0) return;
      const graph = state.model.graph;
      const nodes = options.nodes ?? graph.nodes.filter((n) => getOp(n.op, n.id).norm === 'batch').map((n) => n.id);
      const next: Record<string, tf.Tensor> = { ...grads };
      for (const id of nodes) {
        if (options.nodes) graph.node(id);
        const name = paramName(id, 'gamma');
        const g = grads[name];
        const gamma = state.model.params.get(name);
        if (!g || !gamma) continue;
        next[name] = tf.tidy(() => tf.add(g, tf.mul(tf.sign(gamma.value), lambda)));
      }
      return next;
    },
  };
}
