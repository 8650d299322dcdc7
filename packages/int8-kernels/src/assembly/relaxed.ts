// Relaxed-SIMD kernels: only in dist/int8-relaxed.wasm (compiled with --enable relaxed-simd).
import { finishTile, finishTileF32, zeros } from './common';

/** sum over 4 k of a * (w+ - w-) for 4 channels: two i16 relaxed dots, their exact i16 difference, widened. */
function dot4(a: v128, wPos: v128, wNeg: v128): v128 {
  // Each i16 dot is a*w+ (or a*w-) over 2 k, within +-32512; as w+ and w- never overlap their
  // difference a0*w0 + a1*w1 also lies within +-32512, so the wrapping i16 subtraction is exact.
  return i32x4.extadd_pairwise_i16x8_s(i16x8.sub(i16x8.relaxed_dot_i8x16_i7x16_s(a, wPos), i16x8.relaxed_dot_i8x16_i7x16_s(a, wNeg)));
}

/**
 * Relaxed-SIMD GEMM on raw int8 activations. The weights are split into w+ = max(w, 0) and
 * w- = max(-w, 0), both in [0, 127], the range where every engine that computes a relaxed dot
 * exactly gives the same result. a: int8 rows (row stride lda >= kp, kp a multiple of 4); b: per
 * block of 8 channels [kp / 4][w+: 8 channels x 4 k][w-: 8 channels x 4 k]. `corr` holds one int32
 * per channel added to the accumulator (the -zeroPoint * sum w term). Other arguments as gemmI16.
 * T = i16: two `i16x8.relaxed_dot_i8x16_i7x16_s`, their exact difference widened (every engine);
 * T = i32: two accumulating `i32x4.relaxed_dot_i8x16_i7x16_add_s` (only where the loader's probe
 * found it exact: Chromium, not Node 20, whose V8 drops the accumulator). O = i8: requantized
 * outputs; O = f32: f32(f32(acc) * mult) + bias, unrounded (outStride in floats).
 */
function gemmRelaxed<T, O>(M: i32, N: i32, kp: i32, a: usize, lda: i32, b: usize, corr: usize, ep: usize, zpOut: i32, qlo: i32, qhi: i32, out: usize, outStride: i32): void {
  const nPad = (N + 7) & ~7;
  const zp = i32x4.splat(zpOut);
  const lo = f32x4.splat(<f32>(qlo - zpOut));
  const hi = f32x4.splat(<f32>(qhi - zpOut));
  const rowBytes = <usize>lda;
  const blockBytes = <usize>kp << 4;
  const kEnd = <usize>kp;
  const z = i32x4.splat(0);
  for (let n0 = 0; n0 < N; n0 += 8) {
    const count = min(8, N - n0);
    const bBlock = b + <usize>(n0 >> 3) * blockBytes;
    const epn = ep + (<usize>n0 << 2);
    const k0 = v128.load(corr + (<usize>n0 << 2));
    const k1 = v128.load(corr + (<usize>n0 << 2) + 16);
    for (let m0 = 0; m0 < M; m0 += 4) {
      const p0 = a + <usize>m0 * rowBytes;
      const p1 = m0 + 1 < M ? p0 + rowBytes : p0;
      const p2 = m0 + 2 < M ? p1 + rowBytes : p1;
      const p3 = m0 + 3 < M ? p2 + rowBytes : p2;
      let c00 = k0, c01 = k1, c10 = k0, c11 = k1, c20 = k0, c21 = k1, c30 = k0, c31 = k1;
      let d00 = z, d01 = z, d10 = z, d11 = z, d20 = z, d21 = z, d30 = z, d31 = z;
      let bp = bBlock;
      for (let k: usize = 0; k < kEnd; k += 4) {
        const bp0 = v128.load(bp);
        const bp1 = v128.load(bp + 16);
        const bn0 = v128.load(bp + 32);
        const bn1 = v128.load(bp + 48);
        bp += 64;
        const v0 = v128.load32_splat(p0 + k);
        const v1 = v128.load32_splat(p1 + k);
        const v2 = v128.load32_splat(p2 + k);
        const v3 = v128.load32_splat(p3 + k);
        if (sizeof<T>() === 4) {
          c00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v0, bp0, c00);
          d00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v0, bn0, d00);
          c01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v0, bp1, c01);
          d01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v0, bn1, d01);
          c10 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v1, bp0, c10);
          d10 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v1, bn0, d10);
          c11 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v1, bp1, c11);
          d11 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v1, bn1, d11);
          c20 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v2, bp0, c20);
          d20 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v2, bn0, d20);
          c21 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v2, bp1, c21);
          d21 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v2, bn1, d21);
          c30 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v3, bp0, c30);
          d30 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v3, bn0, d30);
          c31 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v3, bp1, c31);
          d31 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v3, bn1, d31);
        } else {
          c00 = i32x4.add(c00, dot4(v0, bp0, bn0));
          c01 = i32x4.add(c01, dot4(v0, bp1, bn1));
          c10 = i32x4.add(c10, dot4(v1, bp0, bn0));
          c11 = i32x4.add(c11, dot4(v1, bp1, bn1));
          c20 = i32x4.add(c20, dot4(v2, bp0, bn0));
          c21 = i32x4.add(c21, dot4(v2, bp1, bn1));
          c30 = i32x4.add(c30, dot4(v3, bp0, bn0));
          c31 = i32x4.add(c31, dot4(v3, bp1, bn1));
        }
      }
      if (sizeof<T>() === 4) {
        c00 = i32x4.sub(c00, d00); c01 = i32x4.sub(c01, d01); c10 = i32x4.sub(c10, d10); c11 = i32x4.sub(c11, d11);
        c20 = i32x4.sub(c20, d20); c21 = i32x4.sub(c21, d21); c30 = i32x4.sub(c30, d30); c31 = i32x4.sub(c31, d31);
      }
      if (sizeof<O>() === 4) finishTileF32(out + ((<usize>m0 * <usize>outStride + <usize>n0) << 2), <usize>outStride << 2, M - m0, c00, c01, c10, c11, c20, c21, c30, c31, epn, nPad, count);
      else finishTile(out + <usize>m0 * <usize>outStride + <usize>n0, <usize>outStride, M - m0, c00, c01, c10, c11, c20, c21, c30, c31, epn, nPad, lo, hi, zp, count);
    }
  }
}

/** The relaxed GEMM on `i16x8.relaxed_dot_i8x16_i7x16_s` (see gemmRelaxed). */
export function gemmI8Relaxed(M: i32, N: i32, kp: i32, a: usize, lda: i32, b: usize, corr: usize, ep: usize, zpOut: i32, qlo: i32, qhi: i32, out: usize, outStride: i32): void {
  gemmRelaxed<i16, i8>(M, N, kp, a, lda, b, corr, ep, zpOut, qlo, qhi, out, outStride);
}

/** The relaxed GEMM on `i32x4.relaxed_dot_i8x16_i7x16_add_s` (see gemmRelaxed; same arguments and packing). */
export function gemmI8RelaxedAdd(M: i32, N: i32, kp: i32, a: usize, lda: i32, b: usize, corr: usize, ep: usize, zpOut: i32, qlo: i32, qhi: i32, out: usize, outStride: i32): void {
  gemmRelaxed<i32, i8>(M, N, kp, a, lda, b, corr, ep, zpOut, qlo, qhi, out, outStride);
}

/** gemmI8Relaxed with float32 outputs (see gemmRelaxed). */
export function gemmI8RelaxedF32(M: i32, N: i32, kp: i32, a: usize, lda: i32, b: usize, corr: usize, ep: usize, out: usize, outStride: i32): void {
  gemmRelaxed<i16, f32>(M, N, kp, a, lda, b, corr, ep, 0, -128, 127, out, outStride);
}

/** gemmI8RelaxedAdd with float32 outputs (see gemmRelaxed). */
export function gemmI8RelaxedAddF32(M: i32, N: i32, kp: i32, a: usize, lda: i32, b: usize, corr: usize, ep: usize, out: usize, outStride: i32): void {
  gemmRelaxed<i32, f32>(M, N, kp, a, lda, b, corr, ep, 0, -128, 127, out, outStride);
}

/**
 * Packs a run-time int8 matrix B (element (k, n) at b + k * ldk + n * ldn, zero point 0) for the
 * relaxed GEMMs: split into b+ = max(b, 0) and b- = max(-b, 0) in their layout, zero beyond K and
 * N, with the corrections corr[n] = -za * sum_k b[k][n] (nPad int32) for an A of zero point za.
 * Returns 0 (nothing usable written) when a value is -128, whose b- does not fit 7 bits; else 1.
 */
export function packB8(b: usize, K: i32, N: i32, ldk: i32, ldn: i32, za: i32, kp: i32, out: usize, corr: usize): i32 {
  const nPad = (N + 7) & ~7;
  memory.fill(out, 0, (<usize>nPad * <usize>kp) << 1);
  memory.fill(corr, 0, <usize>nPad << 2);
  for (let n = 0; n < N; n++) {
    const blk = out + ((<usize>(n >> 3) * <usize>kp) << 4) + (<usize>(n & 7) << 2);
    const col = b + <usize>n * <usize>ldn;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = <i32>load<i8>(col + <usize>k * <usize>ldk);
      if (v === -128) return 0;
      sum += v;
      const at = blk + (<usize>(k >> 2) << 6) + <usize>(k & 3);
      store<i8>(at, <i8>max(v, 0));
      store<i8>(at + 32, <i8>max(-v, 0));
    }
    store<i32>(corr + (<usize>n << 2), -za * sum);
  }
  return 1;
}

/**
 * im2col of output rows oy0..oy1-1 of one NHWC int8 image for the relaxed GEMM: raw int8 values, `zx` outside the image
 * (so that the -zx * sum w correction cancels them), zero bytes after k up to kp. Contiguous runs
 * of kw * C bytes (kernel rows inside the image, dilation 1) are copied 16 bytes at a time; like
 * im2colI16, stores and loads run up to 16 bytes past (slack needed).
 */
export function im2colI8(x: usize, H: i32, W: i32, C: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32, oy0: i32, oy1: i32, OW: i32, zx: i32, kp: i32, out: usize): void {
  const zv = i8x16.splat(<i8>zx);
  const run = <usize>(kw * C);
  const tap = <usize>C;
  let row = out;
  for (let oy = oy0; oy < oy1; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let q = row;
      const ix0 = ox * sw - padLeft;
      const inside = dw === 1 && ix0 >= 0 && ix0 + kw <= W;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky * dh;
        if (iy < 0 || iy >= H) {
          for (let j: usize = 0; j < run; j += 16) v128.store(q + j, zv);
          q += run;
        } else if (inside) {
          const src = x + <usize>(iy * W + ix0) * tap;
          for (let j: usize = 0; j < run; j += 16) v128.store(q + j, v128.load(src + j));
          q += run;
        } else {
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix < 0 || ix >= W) for (let j: usize = 0; j < tap; j += 16) v128.store(q + j, zv);
            else {
              const src = x + (<usize>(iy * W + ix) * tap);
              for (let j: usize = 0; j < tap; j += 16) v128.store(q + j, v128.load(src + j));
            }
            q += tap;
          }
        }
      }
      const used = <i32>(q - row);
      if (used < kp) zeros(q, <usize>(kp - used));
      row += <usize>kp;
    }
  }
}

/**
 * Probe of `i32x4.relaxed_dot_i8x16_i7x16_add_s`: out = dot(a, b) + c on the 16 + 16 + 4 values
 * at a, b and c (b in [0, 127]). The loader compares it with the exact result (dotAddExact in
 * ../module.ts): Chromium computes it exactly, Node 20's V8 does not.
 */
export function probeDotAdd(a: usize, b: usize, c: usize, out: usize): void {
  v128.store(out, i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(a), v128.load(b), v128.load(c)));
}
