import type * as tf from '@tensorflow/tfjs-core';
import { Model, type NodeId } from '@bonsai/core';

/**
 * A view of a model (same graph and params, nothing copied) whose forward pass records the wall
 * time of every node: the wasm backend runs each kernel synchronously when it is called, so the
 * time between consecutive node outputs is that node's compute. Graph inputs mark the start.
 */
export class TimedModel extends Model {
  private last = 0;
  private times = new Map<NodeId, number>();

  constructor(model: Model) {
    super(model.graph, model.params, model.seed);
  }

  /** Runs one inference pass on `x`, reads the output back, and returns the per-node times (ms) and the total. */
  timePass(x: tf.Tensor): { nodes: Map<NodeId, number>; totalMs: number } {
    this.times = new Map();
    const t0 = performance.now();
    this.last = t0;
    const out = this.forward(x);
    out.dataSync();
    const end = performance.now();
    out.dispose();
    return { nodes: this.times, totalMs: end - t0 };
  }

  protected override nodeOutput(nodeId: NodeId, value: tf.Tensor, _training: boolean): tf.Tensor {
    const now = performance.now();
    if (!this.graph.inputs.includes(nodeId)) this.times.set(nodeId, (this.times.get(nodeId) ?? 0) + (now - this.last));
    this.last = performance.now();
    return value;
  }
}
