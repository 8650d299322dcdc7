import { getOp, type Model, type NodeId } from '@bonsai/core';

/** Size of a model: trainable parameters, all parameters (with BN running stats) and MACs per sample. */
export interface ModelStats {
  /** Elements of trainable params. */
  params: number;
  /** Elements of all params, running statistics included. */
  allParams: number;
  /** Multiply-accumulates of one sample (the ops' `macs`). */
  macs: number;
  /** Output channels (last axis) of every node. */
  channels: Record<NodeId, number>;
}

/** Counts params, MACs and channels of `model` (no tensors are created). */
export function modelStats(model: Model): ModelStats {
  let params = 0;
  let allParams = 0;
  for (const p of model.params.values()) {
    allParams += p.size;
    if (p.trainable) params += p.size;
  }
  let macs = 0;
  const channels: Record<NodeId, number> = {};
  const g = model.graph;
  for (const n of g.nodes) {
    const s = g.shape(n.id);
    channels[n.id] = s.length ? s[s.length - 1]! : 1;
    if (n.op !== 'input') macs += getOp(n.op, n.id).macs(g.inputShapes(n.id), s, n.attrs);
  }
  return { params, allParams, macs, channels };
}
