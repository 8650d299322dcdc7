import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model, type NodeId } from '@bonsai/core';
import { outputError } from './observer-choice';
import type { QParams } from './qparams';
import { activationView, QuantizedModel } from './quantized-model';

/** Options of {@link activationSensitivity}. */
export interface ActivationSensitivityOptions {
  /** Output error against float: mean squared error (default) or mean KL(float || quantized) of softmax outputs. */
  metric?: 'mse' | 'kl';
  /** Batch size of the passes (default 32). */
  batchSize?: number;
}

/** One quantized activation node's measured effect on the output. */
export interface ActivationSensitivity {
  nodeId: NodeId;
  /** Output error with only this node's activation quantized. */
  alone: number;
  /** Output error with this node and every earlier one (graph order) quantized. */
  cumulative: number;
  /** ||y_q - y|| / ||y|| of this node's own output with it and every earlier node quantized (y: float). */
  relativeError: number;
}

/**
 * Where a quantized model's activation error comes from, node by node in graph order: the output
 * error (vs `reference`, the float model with the same node ids, e.g. the PreparedModel) with only
 * that node's activation quantized, with it and all earlier ones quantized, and the relative error
 * of the node's own output in the cumulative case. Weights stay as `quantized` has them (pass an
 * activations-only model, `prepareStatic(m, { skip: every node })`, to isolate the activations).
 * Sort by `alone` to find the nodes to keep float ({@link withFloatActivations}).
 */
export function activationSensitivity(quantized: QuantizedModel, reference: Model, data: tf.Tensor, options: ActivationSensitivityOptions = {}): ActivationSensitivity[] {
  const metric = options.metric ?? 'mse';
  if (metric !== 'mse' && metric !== 'kl') throw new ConfigError(`activationSensitivity: unknown metric ${JSON.stringify(metric)}`, { option: 'metric' });
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`activationSensitivity: batchSize must be a positive integer, got ${batchSize}`, { option: 'batchSize' });
  if ((data.shape[0] ?? 0) === 0) throw new ConfigError('activationSensitivity: the data holds no samples', {}, { code: 'QUANTIZE' });
  const order = quantized.graph.nodes.map((n) => n.id).filter((id) => quantized.activationQParams.has(id));
  const ref = reference.predict(data, { batchSize });
  const errorOf = (m: QuantizedModel): number => {
    const out = m.predict(data, { batchSize });
    const e = outputError(ref, out, metric);
    out.dispose();
    return e;
  };
  try {
    const result: ActivationSensitivity[] = [];
    const earlier = new Map<NodeId, QParams>();
    for (const id of order) {
      const qp = quantized.activationQParams.get(id)!;
      const alone = errorOf(activationView(quantized, new Map([[id, qp]])));
      earlier.set(id, qp);
      const cumulativeView = activationView(quantized, new Map(earlier));
      const cumulative = errorOf(cumulativeView);
      const relativeError = tf.tidy(() => {
        const a = cumulativeView.run(data, { capture: [id] });
        const b = reference.run(data, { capture: [id] });
        const y = b.captured[id]!;
        return tf.div(tf.norm(tf.sub(a.captured[id]!, y)), tf.maximum(tf.norm(y), 1e-30)).dataSync()[0]!;
      });
      result.push({ nodeId: id, alone, cumulative, relativeError });
    }
    return result;
  } finally {
    ref.dispose();
  }
}

/**
 * The mixed-precision answer for activations: a copy of `quantized` whose activations at `nodes`
 * stay float32 (weights and every other activation unchanged), e.g. the k most sensitive nodes of
 * {@link activationSensitivity}. Bonsai's int8 format stores activations as int8 only, so float is
 * the wider type; the integer kernels run those nodes' consumers in float.
 * @throws ConfigError when a node has no quantized activation.
 */
export function withFloatActivations(quantized: QuantizedModel, nodes: readonly NodeId[]): QuantizedModel {
  const acts = new Map(quantized.activationQParams);
  for (const id of nodes) {
    if (!acts.delete(id)) throw new ConfigError(`withFloatActivations: "${id}" has no quantized activation`, { nodeId: id, option: 'nodes' });
  }
  const c = quantized.clone();
  return new QuantizedModel(c.graph, c.params, c.seed, c.mode, c.quantizedWeights, acts);
}
