import { ConfigError, ShapeError } from '@bonsai/core';
import { type ActivationQuant, requantConstants, type Requant, roundHalfEven } from './requant';

/** A projection of an attention layer: int8 weights [in, out] (zero point 0), scales per output column or one, float bias. */
export interface ProjectionWeights {
  /** Integer weights [in][out] in [-128, 127]. */
  weights: ArrayLike<number>;
  /** [in, out]. */
  weightShape: readonly [number, number];
  /** One scale per output column, or one for the whole matrix. */
  weightScales: ArrayLike<number>;
  /** Float bias per output column (default none). */
  bias?: ArrayLike<number>;
}

/**
 * Options of {@link Int8Kernels.attention}: multi-head self-attention on int8 tokens [batch, T, D]
 * (the `multiHeadAttention` op): Q, K, V projections [D, H * dh], scores scaled by `scale`,
 * softmax over keys, the weighted values, the output projection [H * dh, out] onto `output`'s grid.
 */
export interface AttentionOptions {
  /** Grid of the input tokens. */
  input: ActivationQuant;
  /** Grid of the output. */
  output: ActivationQuant;
  numHeads: number;
  headDim: number;
  q: ProjectionWeights;
  k: ProjectionWeights;
  v: ProjectionWeights;
  o: ProjectionWeights;
  /** Multiplier of the scores Q K^T (the op's default is 1 / sqrt(headDim)). */
  scale: number;
  /** Token i attends only to tokens j <= i (default false). */
  causal?: boolean;
  /** Output integer range (default [-128, 127]). */
  qmin?: number;
  qmax?: number;
}

/** The grid of the attention probabilities: [0, 1] in steps of 1/255 (int8 p = round(255 p) - 128). */
export const PROBABILITY_GRID: ActivationQuant = { scale: 1 / 255, zeroPoint: -128 };

/** Symmetric int8 range of the per-sample Q, K, V and context grids (no -128: the relaxed GEMM's split needs it). */
export const SYMMETRIC_MAX = 127;

/** Per-sample symmetric scale of float values: f32(max |v| / 127), or 1 when all are 0. */
export function dynamicScale(v: Float32Array, start: number, count: number): number {
  let m = 0;
  for (let i = start; i < start + count; i++) m = Math.max(m, Math.abs(v[i]!));
  return m > 0 && Number.isFinite(m) ? Math.fround(m / SYMMETRIC_MAX) : 1;
}

/**
 * Softmax of `rows` rows of `T` float32 scores each (float64 arithmetic; with `causal`, row i keeps keys
 * j <= i, where `row % T` is i), each probability put on {@link PROBABILITY_GRID}:
 * min(round_half_even(e_j · (255 / Σ e)) - 128, 127), e_j = exp(s_j - max s).
 */
export function softmaxToGrid(scores: Float32Array, rows: number, T: number, causal: boolean, out: Int8Array): void {
  const e = new Float64Array(T);
  for (let r = 0; r < rows; r++) {
    const base = r * T;
    const last = causal ? r % T : T - 1;
    let m = -Infinity;
    for (let j = 0; j <= last; j++) m = Math.max(m, scores[base + j]!);
    let sum = 0;
    for (let j = 0; j <= last; j++) {
      e[j] = Math.exp(scores[base + j]! - m);
      sum += e[j]!;
    }
    const k = 255 / sum;
    for (let j = 0; j < T; j++) {
      if (j > last) {
        out[base + j] = -128;
        continue;
      }
      // Half to even (v >= 0: Math.round takes ties up).
      const v = e[j]! * k;
      let q = Math.round(v);
      if (q - v === 0.5 && (q & 1) === 1) q--;
      out[base + j] = Math.min(127, q - 128);
    }
  }
}

/** Checks an attention layer's options; returns its widths. */
export function attentionDims(o: AttentionOptions): { d: number; hd: number; out: number } {
  const { numHeads: h, headDim: dh } = o;
  if (!Number.isInteger(h) || h < 1 || !Number.isInteger(dh) || dh < 1) throw new ConfigError(`attention: numHeads ${h} and headDim ${dh} must be positive integers`, { option: 'numHeads' });
  if (!(o.scale > 0) || !Number.isFinite(o.scale)) throw new ConfigError(`attention: scale must be a positive finite number, got ${o.scale}`, { option: 'scale' });
  const hd = h * dh;
  const d = o.q.weightShape[0];
  for (const r of ['q', 'k', 'v'] as const) {
    const [i, n] = o[r].weightShape;
    if (i !== d || n !== hd) throw new ShapeError(`attention: ${r} weights are [${i}, ${n}], expected [${d}, ${hd}] (numHeads x headDim columns)`);
  }
  if (o.o.weightShape[0] !== hd) throw new ShapeError(`attention: output weights are [${o.o.weightShape.join(', ')}], expected ${hd} rows`);
  return { d, hd, out: o.o.weightShape[1] };
}

/**
 * The float32 epilogue of a Q / K / V projection: multipliers f32(sx · sw[n]) and biases f32(b[n]),
 * so that its output f32(f32(acc) · mult) + bias is the projection in real units.
 */
export function projectionConstants(input: ActivationQuant, p: ProjectionWeights, n: number): Requant {
  return requantConstants({ input, output: { scale: 1, zeroPoint: 0 }, weightScales: p.weightScales, ...(p.bias ? { bias: p.bias } : {}) }, n);
}

/** Requantization of a head's P V onto the sample's value grid (sv, 0): multiplier f32(sp · sv / sv), range ±127. */
export function contextRequant(sv: number): Requant {
  return requantConstants({ input: PROBABILITY_GRID, output: { scale: sv, zeroPoint: 0 }, weightScales: [sv], qmin: -SYMMETRIC_MAX, qmax: SYMMETRIC_MAX }, 1);
}

/** Requantization of the output projection of a sample whose context grid is (sv, 0). */
export function outputRequant(o: AttentionOptions, sv: number, n: number): Requant {
  return requantConstants({ input: { scale: sv, zeroPoint: 0 }, output: o.output, weightScales: o.o.weightScales, ...(o.o.bias ? { bias: o.o.bias } : {}), qmin: o.qmin ?? -128, qmax: o.qmax ?? 127 }, n);
}

/** The scores' multiplier of a sample: f32(sq · sk · scale). */
export const scoreMultiplier = (sq: number, sk: number, scale: number): number => Math.fround(sq * sk * scale);

/** Float32 to the symmetric grid (s, 0): clamp(round_half_even(f32(v / s)), -127, 127), as the kernels' quantizeF32 rounds. */
export function toSymmetric(v: number, s: number): number {
  return roundHalfEven(Math.min(Math.max(Math.fround(v / s), -SYMMETRIC_MAX), SYMMETRIC_MAX));
}
