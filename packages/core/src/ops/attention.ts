import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import type { Shape } from '../ir/types';
import { boolAttr, posIntAttr, readAttrs, type AttrsOf, type OptionsOf } from './attrs';
import { nullableNumberAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type InternalGroup, type InternalSlice, type OpSpec, type ParamSpec } from './spec';

/**
 * Attribute schema of `multiHeadAttention` (self-attention over tokens [T, D]): `numHeads` heads
 * of `headDim` dims each; `fusedQkv` keeps one [D, 3*H*dh] projection (q | k | v columns) instead
 * of three; `causal` masks token t from attending to tokens after it; `outDim` is the output width
 * (null: the input width D); `scale` multiplies the scores (null: 1 / sqrt(headDim); head-dim pruning
 * pins it so the pruned op computes the same function).
 */
export const multiHeadAttentionSchema = {
  numHeads: posIntAttr(),
  headDim: posIntAttr(),
  causal: boolAttr(false),
  fusedQkv: boolAttr(false),
  useBias: boolAttr(true),
  outDim: nullableNumberAttr(),
  scale: nullableNumberAttr(),
};
/** Attributes of `multiHeadAttention`. */
export type MultiHeadAttentionAttrs = AttrsOf<typeof multiHeadAttentionSchema>;
/** What a builder passes for `multiHeadAttention`. */
export type MultiHeadAttentionOptions = OptionsOf<typeof multiHeadAttentionSchema>;

function tokens(s: Shape | undefined): { t: number; d: number } {
  if (s?.length !== 2) throw new ShapeError(`multiHeadAttention expects tokens [T, D] per sample, got [${s?.join(', ') ?? ''}]`);
  return { t: s[0]!, d: s[1]! };
}

const outWidth = (d: number, a: MultiHeadAttentionAttrs): number => a.outDim ?? d;

/** Columns of head h's dims `dims` in a [*, H*dh] projection, offset by `base`. */
const headColumns = (base: number, h: number, dh: number, dims: Iterable<number>): number[] => [...dims].map((j) => base + h * dh + j);

/** The param slices that a set of (head, dim) columns occupy in every projection. */
function projectionSlices(a: MultiHeadAttentionAttrs, cols: (base: number) => number[]): InternalSlice[] {
  const hd = a.numHeads * a.headDim;
  const out: InternalSlice[] = [];
  if (a.fusedQkv) {
    const all = [...cols(0), ...cols(hd), ...cols(2 * hd)].sort((x, y) => x - y);
    out.push({ role: 'wqkv', axis: 1, indices: all });
    if (a.useBias) out.push({ role: 'bqkv', axis: 0, indices: all });
  } else {
    for (const r of ['q', 'k', 'v']) {
      out.push({ role: `w${r}`, axis: 1, indices: cols(0) });
      if (a.useBias) out.push({ role: `b${r}`, axis: 0, indices: cols(0) });
    }
  }
  out.push({ role: 'wo', axis: 0, indices: cols(0) });
  return out;
}

/** [B*T, H*dh] -> [B, H, T, dh]. */
function splitHeads(x: tf.Tensor, b: number, t: number, h: number, dh: number): tf.Tensor {
  return tf.transpose(tf.reshape(x, [b, t, h, dh]), [0, 2, 1, 3]);
}

/** Linear projection of tokens [B*T, D] by a [D, n] kernel (and bias). */
function project(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
  const y = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
  return bias ? tf.add(y, bias) : y;
}

/**
 * Q, K, V as [B*T, H*dh] each, the score scale folded into the q kernel and bias (a [D, H*dh]
 * multiply instead of one over every token's queries). Separate projections stay three matmuls:
 * on wasm one concatenated [D, 3*H*dh] matmul plus the split measured slower (bench/attention.ts
 * in @bonsai/models).
 */
function qkvProjections(x2d: tf.Tensor, p: Record<string, tf.Tensor>, a: MultiHeadAttentionAttrs, scale: number): tf.Tensor[] {
  const hd = a.numHeads * a.headDim;
  if (a.fusedQkv) {
    const s = tf.tensor1d(Float32Array.from({ length: 3 * hd }, (_, j) => (j < hd ? scale : 1)));
    return tf.split(project(x2d, tf.mul(p.wqkv!, s), p.bqkv ? tf.mul(p.bqkv, s) : undefined), 3, 1);
  }
  return [project(x2d, tf.mul(p.wq!, scale), p.bq ? tf.mul(p.bq, scale) : undefined), project(x2d, p.wk!, p.bk), project(x2d, p.wv!, p.bv)];
}

/**
 * Multi-head self-attention on tokens [T, D]: Q, K, V = x Wq + bq, x Wk + bk, x Wv + bv (or one
 * fused Wqkv), per head softmax(Q K^T / sqrt(dh)) V, heads concatenated and projected by Wo + bo.
 * Channels: D is consumed along the projections' in-axis (rule 'reduce'); the output channels are
 * Wo's columns. Heads and head dims are internal groups: pruning them updates `numHeads` /
 * `headDim` by itself.
 */
export const multiHeadAttentionOp: OpSpec<MultiHeadAttentionAttrs> = {
  name: 'multiHeadAttention',
  arity: 1,
  attrSchema: multiHeadAttentionSchema,
  normalizeAttrs(attrs) {
    const a = readAttrs(multiHeadAttentionSchema, attrs, 'multiHeadAttention');
    if (a.outDim !== null && !(Number.isInteger(a.outDim) && a.outDim >= 1)) {
      throw new ConfigError(`multiHeadAttention: attribute "outDim" must be a positive integer or null, got ${a.outDim}`, { op: 'multiHeadAttention', key: 'outDim' });
    }
    return a;
  },
  ...plainTraits,
  weightParam: 'wo',
  extraWeightParams: ['wq', 'wk', 'wv', 'wqkv'],
  inferShape([s], a) {
    const { t, d } = tokens(s);
    return [t, outWidth(d, a)];
  },
  paramShapes([s], a) {
    const { d } = tokens(s);
    const hd = a.numHeads * a.headDim;
    const out = outWidth(d, a);
    // Per-column quantization scales: an integer matmul can scale its output columns, not its input rows.
    const w = (n: number): ParamSpec => ({ shape: [d, n], init: 'glorotUniform', trainable: true, inAxis: 0, quantAxis: 1 });
    const b = (n: number): ParamSpec => ({ shape: [n], init: 'zeros', trainable: true });
    const p: Record<string, ParamSpec> = {};
    if (a.fusedQkv) {
      p.wqkv = w(3 * hd);
      if (a.useBias) p.bqkv = b(3 * hd);
    } else {
      for (const r of ['q', 'k', 'v']) {
        p[`w${r}`] = w(hd);
        if (a.useBias) p[`b${r}`] = b(hd);
      }
    }
    p.wo = { shape: [hd, out], init: 'glorotUniform', trainable: true, outAxis: 1 };
    if (a.useBias) p.bo = { shape: [out], init: 'zeros', trainable: true, outAxis: 0 };
    return p;
  },
  forward([x], p, a) {
    const { numHeads: h, headDim: dh } = a;
    const [b, t, d] = x!.shape as [number, number, number];
    const [q, k, v] = qkvProjections(tf.reshape(x!, [b * t, d]), p, a, a.scale ?? 1 / Math.sqrt(dh)).map((z) => splitHeads(z, b, t, h, dh));
    // Scores Q K^T with K read transposed by the matmul itself; softmax over keys; weighted V.
    let scores = tf.matMul(q!, k!, false, true);
    if (a.causal) scores = tf.add(scores, causalMask(t));
    const ctx = tf.matMul(tf.softmax(scores), v!);
    const y = project(tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, h * dh]), p.wo!, p.bo);
    return tf.reshape(y, [b, t, p.wo!.shape[1]!]);
  },
  macs([s], _o, a) {
    const { t, d } = tokens(s);
    const hd = a.numHeads * a.headDim;
    // Q/K/V projections, Q K^T, attention-weighted V, output projection.
    return 3 * t * d * hd + 2 * t * t * hd + t * hd * outWidth(d, a);
  },
  channelRule: () => ({ kind: 'reduce' }),
  adaptAttrs(a, change) {
    const wo = change.paramShapes.wo;
    const d = change.inputShapes[0]?.[1];
    if (!wo || d === undefined) return a;
    const outDim = wo[1]! === d && a.outDim === null ? null : wo[1]!;
    return outDim === a.outDim ? a : { ...a, outDim };
  },
  internalGroups(_s, a): InternalGroup[] {
    const dh = a.headDim;
    const allDims = Array.from({ length: dh }, (_, j) => j);
    return [
      { name: 'heads', count: a.numHeads, slices: (h) => projectionSlices(a, (base) => headColumns(base, h, dh, allDims)) },
      {
        name: 'headDims',
        count: dh,
        slices: (j) => projectionSlices(a, (base) => Array.from({ length: a.numHeads }, (_, h) => base + h * dh + j)),
      },
    ];
  },
  adaptInternal(a, name, kept) {
    if (name === 'heads') return { ...a, numHeads: kept.length };
    if (name === 'headDims') return { ...a, headDim: kept.length, scale: a.scale ?? 1 / Math.sqrt(a.headDim) };
    throw new ConfigError(`multiHeadAttention has no internal group "${name}" (heads, headDims)`, { op: 'multiHeadAttention', key: name });
  },
};

/** [T, T] additive mask: 0 where key <= query, a large negative number after it. */
function causalMask(t: number): tf.Tensor {
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
  return tf.tensor2d(m, [t, t]);
}

registerOp(multiHeadAttentionOp);
