import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, getOp, type ForwardContext, type Model, type NodeId } from '@bonsai/core';
import { channelLayout, type QParams } from './qparams';
import { paramFromQuantized, QuantizedModel, type QuantizedTensor } from './quantized-model';

/** Options of {@link adaRound}. */
export interface AdaRoundOptions {
  /** Adam steps per layer (default 400). */
  iterations?: number;
  /** Calibration samples per step (default 16). */
  batchSize?: number;
  /** Adam learning rate on the rounding variables (default 0.01). */
  lr?: number;
  /** Weight λ of the rounding regulariser; the reconstruction loss is relative to nearest rounding's (default 0.1). */
  regularization?: number;
  /** β of the regulariser `1 - |2h - 1|^β`, annealed linearly from the first to the second value (default [20, 2]). */
  beta?: readonly [number, number];
  /** Fraction of the steps before the regulariser starts (default 0.2). */
  warmup?: number;
  /** Seed of the batch sampling (default 0). */
  seed?: number;
  /** Nodes whose rounding stays nearest. */
  skip?: readonly NodeId[];
}

/** Per layer: the reconstruction error of nearest and of learned rounding on the data, and how many integers changed. */
export interface AdaRoundReport {
  layers: Array<{ nodeId: NodeId; param: string; nearestError: number; learnedError: number; changed: number; kept: 'learned' | 'nearest' }>;
}

/** Stretch of the rectified sigmoid (Louizos et al. 2018), as in the AdaRound paper. */
const ZETA = 1.1;
const GAMMA = -0.1;

/** h(V) = clip(sigmoid(V) (ζ - γ) + γ, 0, 1). */
const rectified = (v: tf.Tensor): tf.Tensor => tf.clipByValue(tf.add(tf.mul(tf.sigmoid(v), ZETA - GAMMA), GAMMA), 0, 1);

/** Per-element scale and zero point of `qp` laid out as `shape` (broadcast along its axis). */
function perElement(shape: readonly number[], qp: QParams): { scale: Float32Array; zero: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const { channels, inner } = channelLayout(shape, qp.axis);
  const scale = new Float32Array(n);
  const zero = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    scale[i] = qp.scale[c]!;
    zero[i] = qp.zeroPoint[c]!;
  }
  return { scale, zero };
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
  const iterations = options.iterations ?? 400;
  const batchSize = options.batchSize ?? 16;
  const lr = options.lr ?? 0.01;
  const lambda = options.regularization ?? 0.1;
  const [beta0, beta1] = options.beta ?? [20, 2];
  const warmup = options.warmup ?? 0.2;
  for (const [name, v, ok] of [
    ['iterations', iterations, Number.isInteger(iterations) && iterations >= 1], ['batchSize', batchSize, Number.isInteger(batchSize) && batchSize >= 1],
    ['lr', lr, lr > 0], ['regularization', lambda, lambda >= 0], ['warmup', warmup, warmup >= 0 && warmup < 1], ['beta', beta0, beta0 > 0 && beta1 > 0],
  ] as const) {
    if (!ok) throw new ConfigError(`adaRound: ${name} ${String(v)} is out of range`, { option: name });
  }
  const n = data.shape[0] ?? 0;
  if (n === 0) throw new ConfigError('adaRound: the data holds no samples', {}, { code: 'QUANTIZE' });
  const skip = new Set(options.skip ?? []);
  for (const id of skip) if (!quantized.graph.has(id)) throw new ConfigError(`adaRound: skip: no node "${id}" in the graph`, { nodeId: id, option: 'skip' }, { code: 'UNKNOWN_NODE' });
  const rng = createRng(options.seed ?? 0);
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
        const learned = roundLayer(out, node.id, role, w, q, inputs, target, { iterations, batchSize, lr, lambda, beta: [beta0, beta1], warmup, rng });
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

interface RoundSettings {
  iterations: number;
  batchSize: number;
  lr: number;
  lambda: number;
  beta: readonly [number, number];
  warmup: number;
  rng: () => number;
}

/** Learns one layer's rounding; returns the integers and the errors of both roundings on all of `inputs`. */
function roundLayer(model: Model, nodeId: NodeId, role: string, w: tf.Tensor, q: QuantizedTensor, inputs: tf.Tensor, target: tf.Tensor, o: RoundSettings): {
  values: Int32Array;
  stats: { nearestError: number; learnedError: number; changed: number; kept: 'learned' | 'nearest' };
} {
  const node = model.graph.node(nodeId);
  const spec = getOp(node.op, nodeId);
  const ctx: ForwardContext = { training: false, nodeId, rng: () => 0, updates: [], momentum: undefined };
  const others: Record<string, tf.Tensor> = {};
  for (const r of Object.keys(model.graph.paramSpecs(nodeId))) if (r !== role) others[r] = model.param(nodeId, r)!.value;
  const { scale, zero } = perElement(q.shape, q.qparams);
  const shape = [...q.shape];
  const s = tf.tensor(scale, shape);
  const z = tf.tensor(zero, shape);
  const wFloor = tf.tidy(() => tf.floor(tf.div(w, s)));
  // Start where h(V) equals the fractional part: W_soft = W before any step (up to clipping).
  const init = tf.tidy(() => {
    const rest = tf.clipByValue(tf.sub(tf.div(w, s), wFloor), 0.01, 0.99);
    const p = tf.div(tf.sub(rest, GAMMA), ZETA - GAMMA);
    return tf.log(tf.div(p, tf.sub(1, p)));
  });
  const v = tf.variable(init);
  init.dispose();
  const weightOf = (h: tf.Tensor): tf.Tensor => tf.mul(tf.sub(tf.clipByValue(tf.add(tf.add(wFloor, h), z), q.qparams.qmin, q.qparams.qmax), z), s);
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
  const nearestKernel = tf.tensor(Float32Array.from(q.values, (iv, i) => (iv - zero[i]!) * scale[i]!), shape);
  const nearestError = errorOf(nearestKernel);
  const norm = Math.max(nearestError, 1e-30);
  const optimizer = tf.train.adam(o.lr);
  const n = inputs.shape[0]!;
  const bs = Math.min(o.batchSize, n);
  try {
    for (let t = 0; t < o.iterations; t++) {
      const start = Math.floor(o.rng() * (n - bs + 1));
      const progress = (t / o.iterations - o.warmup) / (1 - o.warmup);
      const beta = o.beta[0] + (o.beta[1] - o.beta[0]) * Math.max(0, progress);
      const cost = optimizer.minimize(() => {
        const h = rectified(v);
        const recon = tf.div(tf.mean(tf.squaredDifference(outputOf(tf.slice(inputs, start, bs), weightOf(h)), tf.slice(target, start, bs))), norm);
        if (progress < 0 || o.lambda === 0) return recon as tf.Scalar;
        const reg = tf.mean(tf.sub(1, tf.pow(tf.abs(tf.sub(tf.mul(h, 2), 1)), beta)));
        return tf.add(recon, tf.mul(reg, o.lambda)) as tf.Scalar;
      }, false, [v]);
      cost?.dispose();
    }
    const up = tf.tidy(() => tf.cast(tf.greaterEqual(rectified(v), 0.5), 'float32'));
    const learnedKernel = tf.tidy(() => weightOf(up));
    const learnedError = errorOf(learnedKernel);
    const ints = tf.tidy(() => tf.clipByValue(tf.add(tf.add(wFloor, up), z), q.qparams.qmin, q.qparams.qmax).dataSync());
    tf.dispose([up, learnedKernel]);
    const values = Int32Array.from(ints);
    let changed = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== q.values[i]) changed++;
    const kept = learnedError < nearestError ? 'learned' : 'nearest';
    return { values: kept === 'learned' ? values : q.values, stats: { nearestError, learnedError, changed: kept === 'learned' ? changed : 0, kept } };
  } finally {
    optimizer.dispose();
    tf.dispose([s, z, wFloor, v, nearestKernel]);
  }
}
