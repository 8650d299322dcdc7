import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from './errors';
import type { Graph } from './ir/graph';
import type { NodeId } from './ir/types';

/** Inputs of a forward pass: one tensor (single-input graphs), a list, or a map by input node. */
export type ModelInputs = tf.Tensor | readonly tf.Tensor[] | Readonly<Record<NodeId, tf.Tensor>>;

/**
 * Maps the inputs of a run to the graph's input nodes and checks their per-sample shapes;
 * throws INPUT / ShapeError naming the input node.
 */
export function resolveInputs(graph: Graph, inputs: ModelInputs): Map<NodeId, tf.Tensor> {
  const ids = graph.inputs;
  const map = new Map<NodeId, tf.Tensor>();
  if (inputs instanceof tf.Tensor) {
    if (ids.length !== 1) throw new ConfigError(`The graph has ${ids.length} inputs (${ids.join(', ')}); pass a list or a map`, {}, { code: 'INPUT' });
    map.set(ids[0]!, inputs);
  } else if (Array.isArray(inputs)) {
    if (inputs.length !== ids.length) throw new ConfigError(`Expected ${ids.length} input tensors, got ${inputs.length}`, {}, { code: 'INPUT' });
    ids.forEach((id, i) => map.set(id, inputs[i]!));
  } else {
    const rec = inputs as Readonly<Record<NodeId, tf.Tensor>>;
    for (const id of ids) {
      const t = rec[id];
      if (!t) throw new ConfigError(`Missing a tensor for input "${id}"`, { nodeId: id }, { code: 'INPUT' });
      map.set(id, t);
    }
  }
  for (const [id, t] of map) {
    const want = graph.shape(id);
    const got = t.shape.slice(1);
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new ShapeError(`input tensor has per-sample shape [${got.join(', ')}], expected [${want.join(', ')}] (full shape [${t.shape.join(', ')}])`, id);
    }
  }
  return map;
}
