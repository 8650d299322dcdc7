import {
  attentionDims, type AttentionOptions, contextRequant, dynamicScale, outputRequant, PROBABILITY_GRID, projectionConstants,
  scoreMultiplier, softmaxToGrid, toSymmetric,
} from './attention-math';
import { batchMatMulDims, batchMatMulRequant, type BatchMatMulOptions } from './matmul';
import { requantize, type Requant } from './requant';

/** Reference batch matmul: acc = Σ_k (a - za)(b - zb) exactly, requantized by {@link batchMatMulRequant}. */
export function batchMatMulReference(a: Int8Array, aShape: readonly number[], b: Int8Array, bShape: readonly number[], o: BatchMatMulOptions): Int8Array {
  const tb = o.transposeB ?? false;
  const [batch, m, k, n] = batchMatMulDims(aShape, bShape, tb);
  const rq = batchMatMulRequant(o);
  const out = new Int8Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let acc = 0;
        for (let j = 0; j < k; j++) acc += (a[(i * m + r) * k + j]! - o.a.zeroPoint) * (b[i * k * n + (tb ? c * k + j : j * n + c)]! - o.b.zeroPoint);
        out[(i * m + r) * n + c] = requantize(acc, rq.mult[0]!, rq.bias[0]!, rq);
      }
    }
  }
  return out;
}

/** rows [M, K] (row stride lda, zero point z) x int8 weights [K, N]: exact int32 sums. */
function sums(x: ArrayLike<number>, at: number, lda: number, z: number, M: number, K: number, w: ArrayLike<number>, N: number): Int32Array {
  const acc = new Int32Array(M * N);
  for (let r = 0; r < M; r++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (x[at + r * lda + k]! - z) * w[k * N + n]!;
    acc[r * N + n] = s;
  }
  return acc;
}

/** The float32 epilogue f32(f32(acc) · mult) + bias of the float-output GEMMs. */
const scaled = (acc: number, mult: number, bias: number): number => Math.fround(Math.fround(Math.fround(acc) * mult) + bias);

/**
 * Reference int8 attention (the arithmetic of {@link Int8Kernels.attention}, in plain JavaScript):
 * x [batch, T, D] int8 on `input`'s grid to [batch, T, out] int8 on `output`'s grid.
 */
export function attentionReference(x: Int8Array, shape: readonly number[], o: AttentionOptions): Int8Array {
  const { d, hd, out: outW } = attentionDims(o);
  const [B, T] = shape as [number, number];
  const { numHeads: H, headDim: dh } = o;
  const y = new Int8Array(B * T * outW);
  const consts = (['q', 'k', 'v'] as const).map((r) => projectionConstants(o.input, o[r], hd));
  for (let b = 0; b < B; b++) {
    // Q, K, V: float32 projections, then each on its per-sample symmetric grid.
    const qkv = (['q', 'k', 'v'] as const).map((r, i) => {
      const acc = sums(x, b * T * d, d, o.input.zeroPoint, T, d, o[r].weights, hd);
      const rq: Requant = consts[i]!;
      const f = Float32Array.from(acc, (v, j) => scaled(v, rq.mult[j % hd]!, rq.bias[j % hd]!));
      const s = dynamicScale(f, 0, f.length);
      return { s, q: Int8Array.from(f, (v) => toSymmetric(v, s)) };
    });
    const [q, k, v] = qkv as [(typeof qkv)[0], (typeof qkv)[0], (typeof qkv)[0]];
    const mult = scoreMultiplier(q.s, k.s, o.scale);
    const scores = new Float32Array(H * T * T);
    for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
      let acc = 0;
      for (let e = 0; e < dh; e++) acc += q.q[i * hd + h * dh + e]! * k.q[j * hd + h * dh + e]!;
      scores[(h * T + i) * T + j] = scaled(acc, mult, 0);
    }
    const p = new Int8Array(H * T * T);
    softmaxToGrid(scores, H * T, T, o.causal ?? false, p);
    const rc = contextRequant(v.s);
    const ctx = new Int8Array(T * hd);
    for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) for (let e = 0; e < dh; e++) {
      let acc = 0;
      for (let j = 0; j < T; j++) acc += (p[(h * T + i) * T + j]! - PROBABILITY_GRID.zeroPoint) * v.q[j * hd + h * dh + e]!;
      ctx[i * hd + h * dh + e] = requantize(acc, rc.mult[0]!, rc.bias[0]!, rc);
    }
    const ro = outputRequant(o, v.s, outW);
    const acc = sums(ctx, 0, hd, 0, T, hd, o.o.weights, outW);
    for (let i = 0; i < T * outW; i++) y[b * T * outW + i] = requantize(acc[i]!, ro.mult[i % outW]!, ro.bias[i % outW]!, ro);
  }
  return y;
}
