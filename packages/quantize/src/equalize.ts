import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, getOp, type Model, type Param, type ForwardContext, type Graph, type NodeId } from '@bonsai/core';

/** Two layers whose shared channels were rescaled by {@link equalizeCrossLayer}. */
export interface EqualizedPair {
  /** Layer whose output channels were divided by `s`. */
  producer: NodeId;
  /** Layer whose input channels were multiplied by `s`. */
  consumer: NodeId;
  /** Nodes between them (positively homogeneous, channel-preserving: ReLU, identity-like). */
  through: NodeId[];
}

/** Options of {@link equalizeCrossLayer}. */
export interface EqualizeOptions {
  /** Sweeps over all pairs (chains like conv→depthwise→conv converge over a few; default 20). */
  iterations?: number;
  /** Stop when no channel scale moves by more than this relative amount (default 1e-6). */
  tolerance?: number;
}

/** Probe values; laid out over the node's real input shape (pooling needs its rank). */
const probe = [-1000, -3, -0.5, 0, 0.25, 1, 5, 7, 30, 1000];

/**
 * Whether `f(a x) = a f(x)` for a > 0 on a probe spanning many magnitudes (ReLU passes, ReLU6 and
 * sigmoid do not): the property cross-layer equalization needs, asked of the op's own forward.
 */
function positivelyHomogeneous(graph: Graph, id: NodeId): boolean {
  const node = graph.node(id);
  const spec = getOp(node.op, id);
  if (spec.arity !== 1 || Object.keys(graph.paramSpecs(id)).length) return false;
  if (spec.channelRule(graph.inputShapes(id), node.attrs).kind !== 'identity') return false;
  const ctx: ForwardContext = { training: false, nodeId: id, rng: () => 0, updates: [], momentum: undefined };
  const shape = [1, ...graph.inputShapes(id)[0]!];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > 1 << 16) return false;
  return tf.tidy(() => {
    const x = tf.tensor(Float32Array.from({ length: size }, (_, i) => probe[(i * 7) % probe.length]!), shape);
    for (const a of [1e-3, 1, 1e3]) {
      const lhs = spec.forward([tf.mul(x, a)], {}, node.attrs, ctx);
      const rhs = tf.mul(spec.forward([x], {}, node.attrs, ctx), a);
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
 * of the same size. Nothing in between is a graph output.
 */
export function equalizablePairs(graph: Graph): EqualizedPair[] {
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
    let cur = node.id;
    for (;;) {
      const cons = graph.consumers(cur);
      if (cons.length !== 1 || graph.outputs.includes(cur)) break;
      const next = cons[0]!;
      if (inputAxis(graph, next, channels) !== null) {
        out.push({ producer: node.id, consumer: next, through });
        break;
      }
      if (!isHomogeneous(next)) break;
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
 * positively homogeneous nodes in between (ReLU, identity); ReLU6 is not (its clamp would
 * move), so pairs through it are left alone. Apply after batch-norm folding. Returns a new
 * model (the input is unchanged) and the pairs that were equalized.
 */
export function equalizeCrossLayer(model: Model, options: EqualizeOptions = {}): { model: Model; pairs: EqualizedPair[] } {
  const iterations = options.iterations ?? 20;
  const tolerance = options.tolerance ?? 1e-6;
  if (!Number.isInteger(iterations) || iterations < 1) throw new ConfigError(`equalizeCrossLayer: iterations must be a positive integer, got ${iterations}`, { option: 'iterations' });
  if (!(tolerance >= 0)) throw new ConfigError(`equalizeCrossLayer: tolerance must be >= 0, got ${tolerance}`, { option: 'tolerance' });
  const out = model.clone();
  const graph = out.graph;
  const pairs = equalizablePairs(graph);
  try {
    for (let it = 0; it < iterations; it++) {
      let moved = 0;
      for (const pair of pairs) moved = Math.max(moved, equalizePair(out, pair));
      if (moved <= tolerance) break;
    }
    return { model: out, pairs };
  } catch (e) {
    out.dispose();
    throw e;
  }
}

/** Rescales one pair in place; returns the largest |s_i - 1|. */
function equalizePair(model: Model, { producer, consumer }: EqualizedPair): number {
  const graph = model.graph;
  const fold = getOp(graph.node(producer).op, producer).foldsBatchNorm!;
  const k1 = model.param(producer, fold.kernel)!;
  const b1 = model.param(producer, fold.bias);
  const role2 = getOp(graph.node(consumer).op, consumer).weightParam!;
  const k2 = model.param(consumer, role2)!;
  const outShape = fold.scaleShape(k1.shape);
  const channels = outShape.reduce((a, b) => a * b, 1);
  const axis2 = inputAxis(graph, consumer, channels)!;
  const r1 = tf.tidy(() => channelAbsMax(tf.reshape(k1.effective(), [-1, channels]), 1));
  const r2 = channelAbsMax(k2.effective(), axis2);
  const s = new Float32Array(channels);
  let moved = 0;
  for (let i = 0; i < channels; i++) {
    // A dead channel on either side carries nothing to balance.
    s[i] = r1[i]! > 0 && r2[i]! > 0 ? Math.sqrt(r1[i]! * r2[i]!) / r2[i]! : 1;
    moved = Math.max(moved, Math.abs(s[i]! - 1));
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
