import * as tf from '@tensorflow/tfjs-core';
import type { Model, NodeId } from '@bonsai/core';

/** Output and captured activations of a {@link frozenRun}. */
export interface FrozenResult {
  output: tf.Tensor;
  captured: Record<NodeId, tf.Tensor>;
}

/**
 * Runs `model` in inference mode (BN running statistics, no dropout, no state updates) without
 * recording its ops on an active gradient tape: the forward runs inside a `tf.customGrad` op
 * whose gradient is zero, and tfjs does not record kernels nested in a custom op. Inside
 * `tf.variableGrads` this costs no tape memory and can never produce gradients for the
 * model's variables. Works the same outside a tape. The caller owns the returned tensors.
 */
export function frozenRun(model: Model, x: tf.Tensor, capture: readonly NodeId[] = []): FrozenResult {
  const ids = [...new Set(capture)];
  for (const id of ids) model.graph.node(id);
  let shapes: number[][] = [];
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const r = model.run(input, { training: false, capture: ids });
    const parts = [r.output, ...ids.map((id) => r.captured[id]!)];
    shapes = parts.map((p) => p.shape);
    const rows = input.shape[0]!;
    const value = parts.length === 1 ? tf.clone(r.output) : tf.concat(parts.map((p) => tf.reshape(p, [rows, -1])), 1);
    return { value, gradFunc: () => tf.zerosLike(input) };
  });
  const packed = run(x);
  if (ids.length === 0) return { output: packed, captured: {} };
  return tf.tidy(() => {
    const rows = x.shape[0]!;
    let offset = 0;
    const unpacked = shapes.map((shape) => {
      const size = shape.slice(1).reduce((a, b) => a * b, 1);
      const part = tf.reshape(tf.slice(packed, [0, offset], [rows, size]), shape);
      offset += size;
      return part;
    });
    packed.dispose();
    const captured: Record<NodeId, tf.Tensor> = {};
    ids.forEach((id, i) => (captured[id] = unpacked[i + 1]!));
    return { output: unpacked[0]!, captured };
  });
}
