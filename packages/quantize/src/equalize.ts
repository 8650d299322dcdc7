import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, getOp, type Model, type Param, type ForwardContext, type Graph, type NodeId } from '@bonsai/core';

/** Two layers whose shared channels were rescaled by {@link equalizeCrossLayer}. */
export interface EqualizedPair {
  /** Layer whose output channels were divided by `s`. */
  producer: NodeId;
  /** Layer whose input channels were multiplied by `s`. */
  consumer: NodeId;
  /** Nodes between them (positively homogeneous, channel-preserving: ReLU, identity-like; or a clipped ReLU such as ReLU6). */
  through: NodeId[];
  /** The clipped ReLU among `through` (`clip(x, 0, ceiling)`, e.g. ReLU6), found by probing its forward; such pairs need data. */
  clip?: { node: NodeId; ceiling: number };
}

/** Options of {@link equalizeCrossLayer}. */
export interface EqualizeOptions {
  /** Sweeps over all pairs (chains like conv→depthwise→conv converge over a few; default 20). */
  iterations?: number;
  /** Stop when no channel scale moves by more than this relative amount (default 1e-6). */
  tolerance?: number;
  /**
   * Calibration inputs. With data, pairs through a clipped ReLU (ReLU6) are equalized too, each
   * channel's scale bounded so that its clipping does not change on this data: a channel whose
   * pre-activation max m (times `clipMargin`) stays below the ceiling T gets `s >= m * margin / T`
   * (it never reaches the clip before or after), a channel that clips keeps `s = 1`.
   */
  data?: tf.Tensor;
  /** Headroom above the observed pre-activation max for clipped pairs (default 1.25). */
  clipMargin?: number;
  /**
   * What r1 (the producer side) measures: `weights` (default; Nagel 2019: the producer's
   * per-output-channel max |w|) or `activations` (needs `data`: the per-channel max |a| of the
   * activation the consumer reads, which per-tensor activation quantization shares across channels;
   * with per-channel weights the producer's own scaling is free, so this balances what is lost).
   */
  ranges?: 'weights' | 'activations';
  /** Batch size for the data pass (default 32). */
  batchSize?: number;
}

/** Probe values; laid out over the node's real input shape (pooling needs its rank). */
const probe = [-1000, -3, -0.5, 0, 0.25, 1, 5, 7, 30, 1000];

/** Runs a unary node's own forward on `x`. */
function forwardOf(graph: Graph, id: NodeId, x: tf.Tensor): tf.Tensor {
  const node = graph.node(id);
  const ctx: ForwardContext = { training: false, nodeId: id, rng: () => 0, updates: [], momentum: undefined };
  return getOp(node.op, id).forward([x], {}, node.attrs, ctx);
}

/** Probe tensor over the node's input shape, or null when the node is not a small unary, parameterless, channel-preserving op. */
function probeInput(graph: Graph, id: NodeId): tf.Tensor | null {
  const node = graph.node(id);
  const spec = getOp(node.op, id);
  if (spec.arity !== 1 || Object.keys(graph.paramSpecs(id)).length) return null;
  if (spec.channelRule(graph.inputShapes(id), node.attrs).kind !== 'identity') return null;
  const shape = [1, ...graph.inputShapes(id)[0]!];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > 1 << 16) return null;
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => probe[(i * 7) % probe.length]!), shape);
}

/**
 * The ceiling T when the node computes `clip(x, 0, T)` elementwise (ReLU6: 6), asked of its own
 * forward on the probe plus values around the ceiling; null otherwise.
 */
function clipCeiling(graph: Graph, id: NodeId): number | null {
  let result: number | null = null;
  tf.tidy(() => {
    const x = probeInput(graph, id);
    if (!x) return;
    const ceiling = tf.max(forwardOf(graph, id, tf.fill(x.shape, 1e6))).dataSync()[0]!;
    if (!(ceiling > 0 && ceiling < 1e5)) return;
    for (const t of [x, tf.mul(tf.div(x, 1000), ceiling)]) {
      const want = tf.clipByValue(t, 0, ceiling);
      if (!(tf.max(tf.abs(tf.sub(forwardOf(graph, id, t), want))).dataSync()[0]! <= 1e-6 * ceiling)) return;
    }
    result = ceiling;
  });
  return result;
}

/**
 * Whether `f(a x) = a f(x)` for a > 0 on a probe spanning many magnitudes (ReLU passes, ReLU6 and
 * sigmoid do not): the property cross-layer equalization needs, asked of the op's own forward.
 */
function positivelyHomogeneous(graph: Graph, id: NodeId): boolean {
  return tf.tidy(() => {
    const x = probeInput(graph, id);
    if (!x) return false;
    for (const a of [1e-3, 1, 1e3]) {
      const lhs = forwardOf(graph, id, tf.mul(x, a));
      const rhs = tf.mul(forwardOf(graph, id, x), a);
      const err = tf.max(tf.abs(tf.sub(lhs, rhs))).dataSync()[0]!;
      const ref = tf.max(tf.abs(rhs)).dataSync()[0]!;
      if (!(err <= 1e-6 * Math.max(1, ref))) return false;
    }
    return true;
  });
}

/** Weight-carrying op whose kernel has an input-channel axis of size `channels`, or null. */
function inputAxis(graph: Graph, id: NodeId, channels: number): number | null {
  const node = graph.node(id);
  const role = getOp(node.op, id).weightParam;
  if (!role || node.inputs.length !== 1) return null;
  const spec = graph.paramSpecs(id)[role];
  if (!spec || spec.inAxis === undefined || spec.shape[spec.inAxis] !== channels) return null;
  return spec.inAxis;
}

/**
 * Equalizable pairs: a producer whose spec folds batch norm (so its spec says how its output
 * channels line up with kernel and bias), read only through a chain of single-consumer,
 * positively homogeneous, channel-preserving nodes by a consumer whose kernel has an input axis
 * of the same size. Nothing in between is a graph output. With `clipped`, the chain may also hold
 * one clipped ReLU (ReLU6), recorded in the pair's `clip` (equalizing it needs data).
 */
export function equalizablePairs(graph: Graph, options: { clipped?: boolean } = {}): EqualizedPair[] {
  const out: EqualizedPair[] = [];
  const homogeneous = new Map<NodeId, boolean>();
  const isHomogeneous = (id: NodeId): boolean => {
    if (!homogeneous.has(id)) homogeneous.set(id, positivelyHomogeneous(graph, id));
    return homogeneous.get(id)!;
  };
  for (const node of graph.nodes) {
    const fold = getOp(node.op, node.id).foldsBatchNorm;
    const kernelSpec = fold ? graph.paramSpecs(node.id)[fold.kernel] : undefined;
    if (!fold || !kernelSpec) continue;
    const channels = fold.scaleShape(kernelSpec.shape).reduce((a, b) => a * b, 1);
    const through: NodeId[] = [];
    let clip: EqualizedPair['clip'];
    let cur = node.id;
    for (;;) {
      const cons = graph.consumers(cur);
      if (cons.length !== 1 || graph.outputs.includes(cur)) break;
      const next = cons[0]!;
      if (inputAxis(graph, next, channels) !== null) {
        out.push({ producer: node.id, consumer: next, through, ...(clip ? { clip } : {}) });
        break;
      }
      if (!isHomogeneous(next)) {
        const ceiling = options.clipped && !clip ? clipCeiling(graph, next) : null;
        if (ceiling === null) break;
        clip = { node: next, ceiling };
      }
      through.push(next);
      cur = next;
    }
  }
  return out;
}

/** Per-channel max |w| with `axis` kept, as a plain array. */
function channelAbsMax(t: tf.Tensor, axis: number): Float32Array {
  return tf.tidy(() => {
    const axes = t.shape.map((_, i) => i).filter((i) => i !== axis);
    return tf.max(tf.abs(t), axes).dataSync() as Float32Array;
  });
}

/** Broadcast shape of a per-channel factor on `axis` of a rank-`rank` tensor. */
function axisShape(rank: number, axis: number, n: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === axis ? n : 1));
}

/**
 * Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight
 * Equalization and Bias Correction", §4.1): for each {@link equalizablePairs} pair with
 * per-channel weight ranges r1 (producer outputs) and r2 (consumer inputs), divides the
 * producer's output channel i (kernel and bias) by `s_i = sqrt(r1_i r2_i) / r2_i` and multiplies
 * the consumer's input channel i by `s_i`, so both ranges become `sqrt(r1_i r2_i)`. Exact for
 * positively homogeneous nodes in between (ReLU, identity). A clipped ReLU (ReLU6) is not: without
 * `data` such pairs are left alone; with `data` their scales are bounded per channel so that the
 * clipping is unchanged on that data (see {@link EqualizeOptions.data}). `ranges: 'activations'`
 * balances the activation ranges the consumer reads against its weights instead. Apply after
 * batch-norm folding. Returns a new model (the input is unchanged) and the pairs that were equalized.
 */
export function equalizeCrossLayer(model: Model, options: EqualizeOptions = {}): { model: Model; pairs: EqualizedPair[] } {
  const iterations = options.iterations ?? 20;
  const tolerance = options.tolerance ?? 1e-6;
  if (!Number.isInteger(iterations) || iterations < 1) throw new ConfigError(`equalizeCrossLayer: iterations must be a positive integer, got ${iterations}`, { option: 'iterations' });
  if (!(tolerance >= 0)) throw new ConfigError(`equalizeCrossLayer: tolerance must be >= 0, got ${tolerance}`, { option: 'tolerance' });
  const margin = options.clipMargin ?? 1.25;
  if (!(margin >= 1)) throw new ConfigError(`equalizeCrossLayer: clipMargin must be >= 1, got ${margin}`, { option: 'clipMargin' });
  const ranges = options.ranges ?? 'weights';
  if (ranges !== 'weights' && ranges !== 'activations') throw new ConfigError(`equalizeCrossLayer: ranges must be 'weights' or 'activations', got ${JSON.stringify(ranges)}`, { option: 'ranges' });
  if (ranges === 'activations' && !options.data) throw new ConfigError("equalizeCrossLayer: ranges 'activations' needs calibration data (option data)", { option: 'ranges' });
  const out = model.clone();
  const graph = out.graph;
  const pairs = equalizablePairs(graph, { clipped: options.data !== undefined });
  try {
    const stats = options.data ? channelStats(out, pairs, options.data, options.batchSize ?? 32) : undefined;
    for (let it = 0; it < iterations; it++) {
      let moved = 0;
      for (const pair of pairs) moved = Math.max(moved, equalizePair(out, pair, stats?.get(pair.producer), { margin, ranges }));
      if (moved <= tolerance) break;
    }
    return { model: out, pairs };
  } catch (e) {
    out.dispose();
    throw e;
  }
}

/** Per-channel statistics of one pair on the data, kept current as its scales are applied (both divide by s). */
interface ChannelStats {
  /** Max of the clipped ReLU's input per channel (pairs with a clip). */
  preMax?: Float32Array;
  /** Max |a| of the activation the consumer reads, per channel. */
  absMax: Float32Array;
}

/** Per-channel max over all axes but the last, reduced over batches. */
function lastAxisMax(values: tf.Tensor[], abs: boolean): Float32Array {
  return tf.tidy(() => {
    const per = values.map((v) => {
      const t = abs ? tf.abs(v) : v;
      return tf.max(tf.reshape(t, [-1, t.shape[t.shape.length - 1]!]), 0);
    });
    return (per.length === 1 ? per[0]! : tf.max(tf.stack(per), 0)).dataSync() as Float32Array;
  });
}

/** One pass over `data` capturing, per pair, the clip input and the consumer's input (channels last). */
function channelStats(model: Model, pairs: readonly EqualizedPair[], data: tf.Tensor, batchSize: number): Map<NodeId, ChannelStats> {
  const graph = model.graph;
  const preOf = (p: EqualizedPair): NodeId | undefined => (p.clip ? graph.node(p.clip.node).inputs[0]! : undefined);
  const consumerInput = (p: EqualizedPair): NodeId => graph.node(p.consumer).inputs[0]!;
  const capture = [...new Set(pairs.flatMap((p) => [consumerInput(p), ...(p.clip ? [preOf(p)!] : [])]))];
  const pre = new Map<NodeId, Float32Array[]>();
  const abs = new Map<NodeId, Float32Array[]>();
  const n = data.shape[0]!;
  for (let start = 0; start < n; start += batchSize) {
    const batch = tf.slice(data, start, Math.min(batchSize, n - start));
    const { outputs, captured } = model.run(batch, { capture });
    for (const p of pairs) {
      const a = captured[consumerInput(p)]!;
      abs.set(p.producer, [...(abs.get(p.producer) ?? []), lastAxisMax([a], true)]);
      const id = preOf(p);
      if (id) pre.set(p.producer, [...(pre.get(p.producer) ?? []), lastAxisMax([captured[id]!], false)]);
    }
    tf.dispose([batch, ...outputs, ...Object.values(captured)]);
  }
  const reduce = (xs: Float32Array[]): Float32Array => Float32Array.from(xs[0]!, (_, i) => Math.max(...xs.map((x) => x[i]!)));
  const out = new Map<NodeId, ChannelStats>();
  for (const p of pairs) {
    const preMax = pre.get(p.producer);
    out.set(p.producer, { absMax: reduce(abs.get(p.producer)!), ...(preMax ? { preMax: reduce(preMax) } : {}) });
  }
  return out;
}

/** Rescales one pair in place; returns the largest |s_i - 1|. */
function equalizePair(model: Model, { producer, consumer, clip }: EqualizedPair, stats: ChannelStats | undefined, o: { margin: number; ranges: 'weights' | 'activations' }): number {
  const graph = model.graph;
  const fold = getOp(graph.node(producer).op, producer).foldsBatchNorm!;
  const k1 = model.param(producer, fold.kernel)!;
  const b1 = model.param(producer, fold.bias);
  const role2 = getOp(graph.node(consumer).op, consumer).weightParam!;
  const k2 = model.param(consumer, role2)!;
  const outShape = fold.scaleShape(k1.shape);
  const channels = outShape.reduce((a, b) => a * b, 1);
  const axis2 = inputAxis(graph, consumer, channels)!;
  const useStats = stats !== undefined && stats.absMax.length === channels && (!stats.preMax || stats.preMax.length === channels);
  if (clip && !useStats) return 0;
  const r1 = o.ranges === 'activations' && useStats ? stats.absMax : tf.tidy(() => channelAbsMax(tf.reshape(k1.effective(), [-1, channels]), 1));
  const r2 = channelAbsMax(k2.effective(), axis2);
  const s = new Float32Array(channels);
  let moved = 0;
  for (let i = 0; i < channels; i++) {
    // A dead channel on either side carries nothing to balance.
    s[i] = r1[i]! > 0 && r2[i]! > 0 ? Math.sqrt(r1[i]! * r2[i]!) / r2[i]! : 1;
    if (clip && useStats) {
      // clip(x / s, 0, T) * s equals clip(x, 0, T) on the data iff x never reaches min(T, T s).
      const m = stats.preMax![i]! * o.margin;
      s[i] = m < clip.ceiling ? Math.max(s[i]!, m / clip.ceiling) : 1;
    }
    moved = Math.max(moved, Math.abs(s[i]! - 1));
  }
  if (useStats) {
    for (let i = 0; i < channels; i++) {
      stats.absMax[i] = stats.absMax[i]! / s[i]!;
      if (stats.preMax) stats.preMax[i] = stats.preMax[i]! / s[i]!;
    }
  }
  rescale(k1, (v) => tf.div(v, tf.reshape(tf.tensor1d(s), [...outShape])));
  if (b1) rescale(b1, (v) => tf.div(v, tf.tensor1d(s)));
  rescale(k2, (v) => tf.mul(v, tf.reshape(tf.tensor1d(s), axisShape(k2.shape.length, axis2, channels))));
  return moved;
}

/** Assigns `f(value)` to a param (its mask, if any, still applies: zeros stay zero). */
function rescale(p: Param, f: (v: tf.Tensor) => tf.Tensor): void {
  const next = tf.tidy(() => f(p.value));
  p.assign(next);
  next.dispose();
}
