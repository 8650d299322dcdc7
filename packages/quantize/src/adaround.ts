import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, getOp, type ForwardContext, type Model, type NodeId } from '@bonsai/core';
import { paramFromQuantized, QuantizedModel, type QuantizedTensor } from './quantized-model';
import { annealedBeta, roundingSettings, SoftRounding, type RoundingOptions, type RoundingSettings } from './soft-rounding';

/** Options of {@link adaRound}. */
export interface AdaRoundOptions extends RoundingOptions {
  /** Nodes whose rounding stays nearest. */
  skip?: readonly NodeId[];
}

/** Per layer: the reconstruction error of nearest and of learned rounding on the data, and how many integers changed. */
export interface AdaRoundReport {
  layers: Array<{ nodeId: NodeId; param: string; nearestError: number; learnedError: number; changed: number; kept: 'learned' | 'nearest' }>;
}

/** Inputs of `nodeId` as `model` feeds them, and its output in `reference` (float), on `data` in batches. */
function layerData(model: Model, reference: Model, nodeId: NodeId, data: tf.Tensor, batchSize: number): { inputs: tf.Tensor; target: tf.Tensor } {
  const inputId = model.graph.node(nodeId).inputs[0]!;
  const parts: { inputs: tf.Tensor[]; target: tf.Tensor[] } = { inputs: [], target: [] };
  const n = data.shape[0]!;
  for (let i = 0; i < n; i += batchSize) {
    const xb = tf.slice(data, i, Math.min(batchSize, n - i));
    const a = model.run(xb, { capture: [inputId] });
    const b = reference.run(xb, { capture: [nodeId] });
    parts.inputs.push(tf.clone(a.captured[inputId]!));
    parts.target.push(tf.clone(b.captured[nodeId]!));
    tf.dispose([xb, ...a.outputs, ...b.outputs, ...Object.values(a.captured), ...Object.values(b.captured)]);
  }
  const out = { inputs: tf.concat(parts.inputs), target: tf.concat(parts.target) };
  tf.dispose([...parts.inputs, ...parts.target]);
  return out;
}

/**
 * AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization"):
 * per layer in graph order, learns whether each weight rounds up or down. The integer is
 * `floor(w / s) + h(V)` with h the rectified sigmoid, V optimized with Adam to minimize the layer's
 * output error `||f(x_q; W_soft) - f(x; W)||²` (x_q: the layer's input in the quantized model with
 * the earlier layers already rounded, x: the float input; the asymmetric reconstruction of §5) plus
 * `λ Σ (1 - |2h(V) - 1|^β)`, β annealed from 20 to 2 after a warm-up, which drives h to 0 or 1.
 * Scales, zero points and activation parameters stay as `quantized` has them; a layer keeps
 * nearest rounding if the learned one reconstructs worse on the data. `reference` is the float
 * model with the same node ids (e.g. the PreparedModel). Runs on any backend (core's gradients).
 * Returns a new model (the input is unchanged).
 */
export function adaRound(quantized: QuantizedModel, reference: Model, data: tf.Tensor, options: AdaRoundOptions = {}): { model: QuantizedModel; report: AdaRoundReport } {
  const settings = roundingSettings('adaRound', options);
  const n = data.shape[0] ?? 0;
  if (n === 0) throw new ConfigError('adaRound: the data holds no samples', {}, { code: 'QUANTIZE' });
  const skip = new Set(options.skip ?? []);
  for (const id of skip) if (!quantized.graph.has(id)) throw new ConfigError(`adaRound: skip: no node "${id}" in the graph`, { nodeId: id, option: 'skip' }, { code: 'UNKNOWN_NODE' });
  const rng = createRng(settings.seed);
  const weights = new Map<string, QuantizedTensor>(quantized.quantizedWeights);
  const copy = quantized.clone();
  const out = new QuantizedModel(copy.graph, copy.params, quantized.seed, quantized.mode, weights, quantized.activationQParams);
  const report: AdaRoundReport = { layers: [] };
  try {
    for (const node of out.graph.nodes) {
      const spec = getOp(node.op, node.id);
      const role = spec.weightParam;
      const name = `${node.id}/${role}`;
      const q = role ? weights.get(name) : undefined;
      if (!role || !q || skip.has(node.id) || node.inputs.length !== 1) continue;
      const floatParam = reference.param(node.id, role);
      if (!floatParam) throw new ConfigError(`adaRound: the reference model has no param "${name}"`, { nodeId: node.id }, { code: 'QUANTIZE' });
      const { inputs, target } = layerData(out, reference, node.id, data, 32);
      const w = tf.tidy(() => tf.clone(floatParam.effective()));
      try {
        const learned = roundLayer(out, node.id, role, w, q, inputs, target, settings, rng);
        report.layers.push({ nodeId: node.id, param: name, ...learned.stats });
        if (learned.stats.kept === 'learned') {
          const next: QuantizedTensor = { shape: q.shape, values: learned.values, qparams: q.qparams };
          weights.set(name, next);
          const p = paramFromQuantized(name, next, out.params.get(name)!.trainable);
          out.params.get(name)!.assign(p.value);
          p.dispose();
        }
      } finally {
        tf.dispose([inputs, target, w]);
      }
    }
    return { model: out, report };
  } catch (e) {
    out.dispose();
    throw e;
  }
}

/** Learns one layer's rounding; returns the integers and the errors of both roundings on all of `inputs`. */
function roundLayer(model: Model, nodeId: NodeId, role: string, w: tf.Tensor, q: QuantizedTensor, inputs: tf.Tensor, target: tf.Tensor, o: RoundingSettings, rng: () => number): {
  values: Int32Array;
  stats: { nearestError: number; learnedError: number; changed: number; kept: 'learned' | 'nearest' };
} {
  const node = model.graph.node(nodeId);
  const spec = getOp(node.op, nodeId);
  const ctx: ForwardContext = { training: false, nodeId, rng: () => 0, updates: [], momentum: undefined };
  const others: Record<string, tf.Tensor> = {};
  for (const r of Object.keys(model.graph.paramSpecs(nodeId))) if (r !== role) others[r] = model.param(nodeId, r)!.value;
  const rounding = new SoftRounding(w, q);
  const outputOf = (x: tf.Tensor, kernel: tf.Tensor): tf.Tensor => spec.forward([x], { ...others, [role]: kernel }, node.attrs, ctx);
  const errorOf = (kernel: tf.Tensor): number => tf.tidy(() => {
    let sum = 0;
    const n = inputs.shape[0]!;
    for (let i = 0; i < n; i += 32) {
      const k = Math.min(32, n - i);
      sum += tf.sum(tf.squaredDifference(outputOf(tf.slice(inputs, i, k), kernel), tf.slice(target, i, k))).dataSync()[0]!;
    }
    return sum / target.size;
  });
  const nearestError = errorOf(rounding.nearest);
  const norm = Math.max(nearestError, 1e-30);
  const optimizer = tf.train.adam(o.lr);
  const n = inputs.shape[0]!;
  const bs = Math.min(o.batchSize, n);
  try {
    for (let t = 0; t < o.iterations; t++) {
      const start = Math.floor(rng() * (n - bs + 1));
      const beta = annealedBeta(o, t);
      const cost = optimizer.minimize(() => {
        const recon = tf.div(tf.mean(tf.squaredDifference(outputOf(tf.slice(inputs, start, bs), rounding.soft()), tf.slice(target, start, bs))), norm);
        if (beta === undefined) return recon as tf.Scalar;
        return tf.add(recon, tf.mul(rounding.regularizer(beta), o.regularization)) as tf.Scalar;
      }, false, [rounding.v]);
      cost?.dispose();
    }
    const { kernel, values } = rounding.hard();
    const learnedError = errorOf(kernel);
    kernel.dispose();
    const kept = learnedError < nearestError ? 'learned' : 'nearest';
    return { values: kept === 'learned' ? values : q.values, stats: { nearestError, learnedError, changed: kept === 'learned' ? rounding.changed(values) : 0, kept } };
  } finally {
    optimizer.dispose();
    rounding.dispose();
  }
}
