import { getOp, type Model, type NodeId } from '@bonsai/core';

/**
 * Size of a model. Bonsai uses two names for parameter counts everywhere (graph, eval, CLI):
 * `params` — every stored value, BN running statistics included (Keras' `count_params`, eval's
 * `countParams`) — and `trainableParams` — values trained by gradients (torch's `parameters()`).
 */
export interface ModelStats {
  /** Elements of all params, running statistics included. */
  params: number;
  /** Elements of trainable params. */
  trainableParams: number;
  /** Multiply-accumulates of one sample (the ops' `macs`). */
  macs: number;
  /** Output channels (last axis) of every node. */
  channels: Record<NodeId, number>;
}

/** Counts params, trainable params, MACs and channels of `model` (no tensors are created). */
export function modelStats(model: Model): ModelStats {
  let params = 0;
  let trainableParams = 0;
  for (const p of model.params.values()) {
    params += p.size;
    if (p.trainable) trainableParams += p.size;
  }
  let macs = 0;
  const channels: Record<NodeId, number> = {};
  const g = model.graph;
  for (const n of g.nodes) {
    const s = g.shape(n.id);
    channels[n.id] = s.length ? s[s.length - 1]! : 1;
    const spec = getOp(n.op, n.id);
    if (!spec.graphInput) macs += spec.macs(g.inputShapes(n.id), s, n.attrs);
  }
  return { params, trainableParams, macs, channels };
}
