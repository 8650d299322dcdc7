import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, getOp, type Model, type NodeId } from '@bonsai/core';
import { activationView, type QuantizedModel } from './quantized-model';

/** Options of {@link correctBias}. */
export interface BiasCorrectionOptions {
  /** Batch size of the passes over the data (default 32). */
  batchSize?: number;
}

/** What {@link correctBias} changed: per layer, the largest |shift| it subtracted from the bias. */
export interface BiasCorrectionReport {
  layers: Array<{ nodeId: NodeId; maxShift: number }>;
}

/** Per-channel (last axis) mean of each captured node's output over `x`, as plain arrays. */
function channelMeans(model: Model, x: tf.Tensor, nodes: readonly NodeId[], batchSize: number): Map<NodeId, Float64Array> {
  const sums = new Map<NodeId, Float64Array>();
  const counts = new Map<NodeId, number>();
  const n = x.shape[0]!;
  for (let i = 0; i < n; i += batchSize) {
    const partial = tf.tidy(() => {
      const xb = tf.slice(x, [i], [Math.min(batchSize, n - i)]);
      const captured = model.activations(xb, nodes);
      return nodes.map((id) => {
        const y = captured[id]!;
        const c = y.shape[y.rank - 1]!;
        return { id, rows: y.size / c, sum: tf.sum(tf.reshape(y, [-1, c]), 0) };
      });
    });
    for (const { id, rows, sum } of partial) {
      const v = sum.dataSync();
      sum.dispose();
      const acc = sums.get(id) ?? new Float64Array(v.length);
      for (let j = 0; j < v.length; j++) acc[j]! += v[j]!;
      sums.set(id, acc);
      counts.set(id, (counts.get(id) ?? 0) + rows);
    }
  }
  for (const [id, acc] of sums) {
    const c = counts.get(id)!;
    for (let j = 0; j < acc.length; j++) acc[j]! /= c;
  }
  return sums;
}

/**
 * Empirical bias correction (Nagel et al. 2019, §4.2, the empirical variant): quantized weights
 * shift each layer's expected output by `E[W_q x] - E[W x]` per output channel; this measures
 * that shift on data and subtracts it from the layer's bias. Layers are corrected one at a time
 * in graph order, each measured with the earlier corrections in place (so the quantized input
 * `x` each layer sees includes the upstream error), and before the layer's own output activation
 * is quantized (that quantizer's clipping is not a weight error). `reference` is the float model the
 * quantized one was converted from (same node ids — e.g. the {@link PreparedModel}, which runs
 * in float outside calibration). Only layers with a quantized weight and a bias param are
 * corrected. Returns a new model (the input is unchanged).
 * @throws ConfigError on a bad batch size; BonsaiError QUANTIZE on empty data or
 *   when the reference lacks a corrected node.
 */
export function correctBias(quantized: QuantizedModel, reference: Model, data: tf.Tensor, options: BiasCorrectionOptions = {}): { model: QuantizedModel; report: BiasCorrectionReport } {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`correctBias: batchSize must be a positive integer, got ${batchSize}`, { option: 'batchSize' });
  if ((data.shape[0] ?? 0) === 0) throw new ConfigError('correctBias: the data holds no samples', {}, { code: 'QUANTIZE' });
  const layers: Array<{ nodeId: NodeId; bias: string }> = [];
  for (const node of quantized.graph.nodes) {
    const spec = getOp(node.op, node.id);
    const bias = spec.foldsBatchNorm?.bias;
    if (!spec.weightParam || !bias || !quantized.quantizedWeights.has(`${node.id}/${spec.weightParam}`) || !quantized.param(node.id, bias)) continue;
    if (!reference.graph.has(node.id)) throw new ConfigError(`correctBias: the reference model has no node "${node.id}"`, { nodeId: node.id }, { code: 'QUANTIZE' });
    layers.push({ nodeId: node.id, bias });
  }
  const ids = layers.map((l) => l.nodeId);
  const target = channelMeans(reference, data, ids, batchSize);
  const out = quantized.clone();
  const report: BiasCorrectionReport = { layers: [] };
  try {
    for (const { nodeId, bias } of layers) {
      // The layer's own output before its activation is quantized: the correction is for the
      // weights' error (with the upstream error), not for that quantizer's clipping and rounding.
      const acts = new Map(out.activationQParams);
      acts.delete(nodeId);
      const unquantizedOutput = activationView(out, acts);
      const got = channelMeans(unquantizedOutput, data, [nodeId], batchSize).get(nodeId)!;
      const want = target.get(nodeId)!;
      const shift = new Float32Array(got.length);
      let maxShift = 0;
      for (let j = 0; j < got.length; j++) {
        shift[j] = got[j]! - want[j]!;
        maxShift = Math.max(maxShift, Math.abs(shift[j]!));
      }
      const p = out.param(nodeId, bias)!;
      const next = tf.tidy(() => tf.sub(p.value, tf.tensor1d(shift)));
      p.assign(next);
      next.dispose();
      report.layers.push({ nodeId, maxShift });
    }
    return { model: out, report };
  } catch (e) {
    out.dispose();
    throw e;
  }
}
