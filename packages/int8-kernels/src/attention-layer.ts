import { ShapeError } from '@bonsai/core';
import {
  attentionDims, type AttentionOptions, contextRequant, dynamicScale, outputRequant, projectionConstants, type ProjectionWeights,
  scoreMultiplier, softmaxToGrid, SYMMETRIC_MAX,
} from './attention-math';
import type { Int8Layer, WasmInt8Layer } from './layers';
import { matmulCore, type MatmulContext, splatEpilogue } from './matmul';
import type { Requant } from './requant';

/** Weights packed for the GEMMs (see Int8Kernels' gemmWeights). */
export interface PackedWeights {
  kp2: number;
  b16: number;
  relaxed?: { kp4: number; b8: number; sums: Int32Array };
}

/** The packing and layer helpers of an Int8Kernels instance that the attention layer uses. */
export interface AttentionPacking {
  gemmWeights(w: ArrayLike<number>, K: number, N: number): PackedWeights;
  epilogue(rq: Requant, nPad: number): number;
  corrections(sums: Int32Array, zx: number): number;
  scratch<T>(fn: () => T): T;
  layer(path: Int8Layer['path'], rank: number, outputShape: (s: readonly number[]) => number[], compute: (px: number, shape: readonly number[], po: number) => void): WasmInt8Layer;
}

const round = (v: number, m: number): number => Math.ceil(v / m) * m;

/** A projection with packed weights: int8 rows in, float32 (fixed epilogue) or int8 (epilogue per call) out. */
interface Projection {
  packed: PackedWeights;
  n: number;
  /** -za · Σ w per column for the relaxed GEMM (input zero point known at build), or 0. */
  corr: number;
}

/**
 * The WASM attention layer. Per sample: Q, K, V = x W + b in float32 from exact int32 sums (one GEMM per
 * projection over the whole batch); each put on its own symmetric per-sample grid (max |v| / 127);
 * per head scores f32(acc · sq · sk · scale) from Q Kᵀ; softmax in float onto the probability grid
 * (1/255); P V requantized onto V's grid; the output projection requantized onto `output`.
 */
export function attentionLayer(c: MatmulContext & AttentionPacking, o: AttentionOptions): WasmInt8Layer {
  const { d, hd, out: outW } = attentionDims(o);
  const { numHeads: H, headDim: dh } = o;
  const zx = o.input.zeroPoint;
  const proj = (p: ProjectionWeights, zin: number): Projection => {
    const [K, N] = p.weightShape;
    const packed = c.gemmWeights(p.weights, K, N);
    return { packed, n: N, corr: packed.relaxed ? c.corrections(packed.relaxed.sums, zin) : 0 };
  };
  const qkv = (['q', 'k', 'v'] as const).map((r) => ({ p: proj(o[r], zx), ep: c.epilogue(projectionConstants(o.input, o[r], hd), round(hd, 8)) }));
  const wo = proj(o.o, 0);
  const nPadO = round(outW, 8);
  /** x rows [M, K] (stride K, zero point zin) times a projection; `f32`: float outputs, else int8 on (zp, lo, hi). */
  const project = (pr: Projection, x: number, M: number, K: number, zin: number, ep: number, out: number, f32: boolean, rq?: Requant): void => {
    const rx = pr.packed.relaxed;
    if (rx) {
      if (f32) c.relaxedGemm(true)(M, pr.n, rx.kp4, x, K, rx.b8, pr.corr, ep, out, pr.n);
      else c.relaxedGemm(false)(M, pr.n, rx.kp4, x, K, rx.b8, pr.corr, ep, rq!.zeroPoint, rq!.lo, rq!.hi, out, pr.n);
      return;
    }
    const col = c.alloc(M * pr.packed.kp2 * 2);
    c.k.widenRowsI16(x, M, K, K, zin, pr.packed.kp2, col);
    if (f32) c.k.gemmI16F32(M, pr.n, pr.packed.kp2, col, pr.packed.b16, ep, out, pr.n);
    else c.k.gemmI16(M, pr.n, pr.packed.kp2, col, pr.packed.b16, ep, rq!.zeroPoint, rq!.lo, rq!.hi, out, pr.n);
  };
  const outputShape = (s: readonly number[]): number[] => {
    if (s[2] !== d) throw new ShapeError(`attention input has ${s[2]} features, the weights expect ${d}`);
    return [s[0]!, s[1]!, outW];
  };
  return c.layer(wo.packed.relaxed ? 'relaxed' : 'simd128', 3, outputShape, (px, shape, po) => {
    const [B, T] = shape as [number, number];
    const R = B * T;
    const f = qkv.map(() => c.alloc(R * hd * 4 + 16));
    qkv.forEach((r, i) => project(r.p, px, R, d, zx, r.ep, f[i]!, true));
    const ints = qkv.map(() => c.alloc(R * hd + 16));
    const ctx = c.alloc(R * hd + 16);
    const scores = c.alloc(H * T * T * 4);
    const probs = c.alloc(H * T * T + 16);
    for (let b = 0; b < B; b++) {
      c.scratch(() => {
        const at = b * T * hd;
        const s = f.map((p, i) => {
          const sc = dynamicScale(new Float32Array(c.buffer(), p, R * hd), at, T * hd);
          c.k.quantizeF32(p + at * 4, T * hd, sc, 0, -SYMMETRIC_MAX, SYMMETRIC_MAX, ints[i]! + at);
          return sc;
        });
        const [qi, ki, vi] = ints as [number, number, number];
        const epS = splatEpilogue(c, scoreMultiplier(s[0]!, s[1]!, o.scale), round(T, 8));
        for (let h = 0; h < H; h++) {
          c.scratch(() => matmulCore(c, { M: T, K: dh, N: T, a: qi + at + h * dh, lda: hd, za: 0, b: ki + at + h * dh, ldk: 1, ldn: hd, zb: 0, ep: epS, out: scores + h * T * T * 4, outStride: T, f32: true, zpOut: 0, lo: -128, hi: 127 }));
        }
        softmaxToGrid(new Float32Array(c.buffer(), scores, H * T * T), H * T, T, o.causal ?? false, new Int8Array(c.buffer(), probs, H * T * T));
        const rc = contextRequant(s[2]!);
        const epC = splatEpilogue(c, rc.mult[0]!, round(dh, 8));
        for (let h = 0; h < H; h++) {
          c.scratch(() => matmulCore(c, { M: T, K: T, N: dh, a: probs + h * T * T, lda: T, za: -128, b: vi + at + h * dh, ldk: hd, ldn: 1, zb: 0, ep: epC, out: ctx + at + h * dh, outStride: hd, f32: false, zpOut: 0, lo: rc.lo, hi: rc.hi }));
        }
        const ro = outputRequant(o, s[2]!, outW);
        const epO = c.epilogue(ro, nPadO);
        project(wo, ctx + at, T, hd, 0, epO, po + b * T * outW, false, ro);
      });
    }
  });
}
