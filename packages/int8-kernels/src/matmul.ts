import { ShapeError } from '@bonsai/core';
import type { KernelExports, KernelVariant } from './module';
import { type ActivationQuant, requantConstants, type Requant } from './requant';

/** Options of {@link Int8Kernels.batchMatMul}: the grids of both operands and of the output (per tensor). */
export interface BatchMatMulOptions {
  a: ActivationQuant;
  b: ActivationQuant;
  output: ActivationQuant;
  /** b is [batch, n, k] and read transposed (Q Kᵀ); default false: [batch, k, n]. */
  transposeB?: boolean;
  /** Output integer range (default [-128, 127]). */
  qmin?: number;
  qmax?: number;
}

/** The requantization of a batch matmul: one multiplier f32(sa · sb / sy), no bias. */
export function batchMatMulRequant(o: BatchMatMulOptions): Requant {
  return requantConstants({ input: o.a, output: o.output, weightScales: [o.b.scale], qmin: o.qmin ?? -128, qmax: o.qmax ?? 127 }, 1);
}

/** Checks the operand shapes of a batch matmul; returns [batch, m, k, n]. */
export function batchMatMulDims(a: readonly number[], b: readonly number[], transposeB: boolean): [number, number, number, number] {
  if (a.length !== 3 || b.length !== 3) throw new ShapeError(`batchMatMul expects rank-3 operands, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const [bk, bn] = transposeB ? [b[2]!, b[1]!] : [b[1]!, b[2]!];
  if (a[0] !== b[0] || a[2] !== bk) throw new ShapeError(`batchMatMul: [${a.join(', ')}] x [${b.join(', ')}]${transposeB ? 'ᵀ' : ''} do not match`);
  return [a[0]!, a[1]!, a[2]!, bn];
}

/** The part of an {@link Int8Kernels} instance the matmul core uses. */
export interface MatmulContext {
  readonly k: KernelExports;
  readonly variant: KernelVariant;
  alloc(bytes: number): number;
  buffer(): ArrayBuffer;
  /** The relaxed GEMM chosen at load, int8 or float32 outputs. */
  relaxedGemm(f32: boolean): (...args: number[]) => void;
}

/**
 * One int8 product of run-time operands, accumulated exactly in int32:
 * acc[m][n] = Σ_k (a[m][k] - za) (b[k][n] - zb), A rows of stride `lda`, element (k, n) of B at
 * b + k · ldk + n · ldn. Output int8 requantized by `ep` (multipliers then biases, nPad each) onto
 * (zpOut, [lo, hi]), or with `f32` float32 f32(f32(acc) · mult) + bias. The relaxed build takes it when
 * zb = 0 and B has no -128 (B split into b+ / b- at run time, A raw int8); else the SIMD128 GEMM
 * (A widened to int16 a - za, B packed as int16 b - zb). Allocates scratch: call inside a scope.
 * A's rows are read up to 3 bytes past k (the relaxed GEMM reads 4 at a time): callers leave slack.
 */
export interface MatmulArgs {
  M: number;
  K: number;
  N: number;
  a: number;
  lda: number;
  za: number;
  b: number;
  ldk: number;
  ldn: number;
  zb: number;
  ep: number;
  out: number;
  /** Output row stride in elements. */
  outStride: number;
  f32: boolean;
  zpOut: number;
  lo: number;
  hi: number;
}

const round = (v: number, m: number): number => Math.ceil(v / m) * m;

/** Runs {@link MatmulArgs} on the kernels (see there). */
export function matmulCore(c: MatmulContext, m: MatmulArgs): void {
  const nPad = round(m.N, 8);
  if (c.variant === 'relaxed' && m.zb === 0) {
    const kp4 = round(m.K, 4);
    const pb = c.alloc(nPad * kp4 * 2);
    const corr = c.alloc(nPad * 4);
    if (c.k.packB8!(m.b, m.K, m.N, m.ldk, m.ldn, m.za, kp4, pb, corr) === 1) {
      if (m.f32) c.relaxedGemm(true)(m.M, m.N, kp4, m.a, m.lda, pb, corr, m.ep, m.out, m.outStride);
      else c.relaxedGemm(false)(m.M, m.N, kp4, m.a, m.lda, pb, corr, m.ep, m.zpOut, m.lo, m.hi, m.out, m.outStride);
      return;
    }
  }
  const kp2 = round(m.K, 2);
  const col = c.alloc(m.M * kp2 * 2);
  const pb = c.alloc(nPad * kp2 * 2);
  c.k.widenRowsI16(m.a, m.M, m.K, m.lda, m.za, kp2, col);
  c.k.packB16(m.b, m.K, m.N, m.ldk, m.ldn, m.zb, kp2, pb);
  if (m.f32) c.k.gemmI16F32(m.M, m.N, kp2, col, pb, m.ep, m.out, m.outStride);
  else c.k.gemmI16(m.M, m.N, kp2, col, pb, m.ep, m.zpOut, m.lo, m.hi, m.out, m.outStride);
}

/** Writes `count` copies of one multiplier and zero biases (an epilogue of nPad = count) into module memory. */
export function splatEpilogue(c: MatmulContext, mult: number, count: number): number {
  const ep = c.alloc(count * 8);
  const v = new Float32Array(c.buffer(), ep, 2 * count);
  v.fill(mult, 0, count);
  v.fill(0, count);
  return ep;
}
