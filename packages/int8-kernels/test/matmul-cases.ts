/**
 * Seeded random batch-matmul and attention cases with their reference outputs, shared by the
 * Node tests and the Chromium page.
 */
import { attentionReference, batchMatMulReference, type AttentionOptions, type BatchMatMulOptions, type Int8LayerFactory, type ProjectionWeights } from '../src/index';
import { int, int8s, rng } from './cases';

/** A case of a layer with its own inputs: run it on a factory, compare with `want`. */
export interface RunCase {
  readonly label: string;
  readonly want: Int8Array;
  run(k: Int8LayerFactory): Int8Array;
}

/**
 * Batch matmuls over shapes, transposed and plain B, zero points; every other case has b's zero
 * point 0 (the relaxed path), some of those with -128 in b (its SIMD128 fallback).
 */
export function batchMatMulCases(seed: number, count: number): RunCase[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, t) => {
    const [batch, m, k, n] = [int(r, 1, 3), int(r, 1, 20), int(r, 1, 40), int(r, 1, 30)];
    const transposeB = t % 3 !== 0;
    const zb = t % 2 === 0 ? 0 : int(r, -30, 30);
    const a = int8s(r, batch * m * k);
    const b = int8s(r, batch * k * n, t % 4 === 0 ? -128 : -127, 127);
    const sa = 0.01 + r() * 0.05;
    const sb = 0.01 + r() * 0.05;
    const o: BatchMatMulOptions = {
      a: { scale: sa, zeroPoint: int(r, -30, 30) },
      b: { scale: sb, zeroPoint: zb },
      // About 2.5 standard deviations of the int32 sums across the output range.
      output: { scale: sa * sb * 128 * Math.sqrt(k) * (0.7 + 0.6 * r()), zeroPoint: int(r, -20, 20) },
      transposeB,
    };
    const aShape = [batch, m, k];
    const bShape = transposeB ? [batch, n, k] : [batch, k, n];
    return {
      label: `batchMatMul case ${t}: [${aShape}] x [${bShape}]${transposeB ? 'ᵀ' : ''} zb ${zb}`,
      want: batchMatMulReference(a, aShape, b, bShape, o),
      run: (f) => f.batchMatMul(o).run({ data: a, shape: aShape }, { data: b, shape: bShape }).data,
    };
  });
}

function projection(r: () => number, inF: number, outF: number, perColumn: boolean): ProjectionWeights {
  return {
    weights: int8s(r, inF * outF, -127, 127),
    weightShape: [inF, outF],
    weightScales: Float32Array.from({ length: perColumn ? outF : 1 }, () => (0.3 + r()) / (127 * Math.sqrt(inF))),
    bias: Float32Array.from({ length: outF }, () => (r() - 0.5) * 0.2),
  };
}

/** Random attention layers (options and input), for {@link attentionCases} and the float check. */
export function attentionSetups(seed: number, count: number): { label: string; o: AttentionOptions; x: Int8Array; shape: number[] }[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, t) => {
    const [H, dh] = [int(r, 1, 4), int(r, 1, 13)];
    const [B, T, D, out] = [int(r, 1, 2), int(r, 1, 17), int(r, 1, 40), int(r, 1, 30)];
    const perColumn = t % 3 !== 2;
    const o: AttentionOptions = {
      input: { scale: 0.02 + r() * 0.03, zeroPoint: int(r, -20, 20) },
      output: { scale: 0.01 + r() * 0.01, zeroPoint: int(r, -10, 10) },
      numHeads: H,
      headDim: dh,
      q: projection(r, D, H * dh, perColumn),
      k: projection(r, D, H * dh, perColumn),
      v: projection(r, D, H * dh, perColumn),
      o: projection(r, H * dh, out, perColumn),
      scale: 1 / Math.sqrt(dh),
      causal: t % 4 === 3,
    };
    return { label: `attention case ${t}: ${B}x${T}x${D}, ${H} heads of ${dh} -> ${out}${o.causal ? ', causal' : ''}`, o, x: int8s(r, B * T * D), shape: [B, T, D] };
  });
}

/** Attention layers over token counts, widths, head counts and head dims, causal or not, per-column or per-tensor weight scales. */
export function attentionCases(seed: number, count: number): RunCase[] {
  return attentionSetups(seed, count).map(({ label, o, x, shape }) => ({
    label,
    want: attentionReference(x, shape, o),
    run: (f) => f.attention(o).run({ data: x, shape }).data,
  }));
}
