// SIMD128 int8 kernels (every engine with WebAssembly SIMD). Pointers are byte offsets into this
// module's memory, which the JavaScript side manages.
import { finishRow, finishTile, finishTileF32, pack8, requant4, roundAddZp, store8, zeros } from './common';

/**
 * SIMD128 GEMM: out[m][n] = requant(sum_k a[m][k] * b[k][n]) for m < M, n < N.
 * a: int16 rows of kp values (kp even, zero-point already subtracted), row stride kp.
 * b: int16, packed per block of 8 channels as [kp / 2][8 channels][2 k].
 * ep: float32 multipliers then biases (nPad each). Output int8, row stride outStride.
 */
export function gemmI16(M: i32, N: i32, kp: i32, a: usize, b: usize, ep: usize, zpOut: i32, qlo: i32, qhi: i32, out: usize, outStride: i32): void {
  gemmI16T<i8>(M, N, kp, a, b, ep, zpOut, qlo, qhi, out, outStride);
}

/** gemmI16 with float32 outputs f32(f32(acc) * mult) + bias (no rounding, no clamp; outStride in floats). */
export function gemmI16F32(M: i32, N: i32, kp: i32, a: usize, b: usize, ep: usize, out: usize, outStride: i32): void {
  gemmI16T<f32>(M, N, kp, a, b, ep, 0, -128, 127, out, outStride);
}

/** The SIMD128 GEMM, O = i8 (requantized) or f32 (scaled, unrounded) outputs. */
function gemmI16T<O>(M: i32, N: i32, kp: i32, a: usize, b: usize, ep: usize, zpOut: i32, qlo: i32, qhi: i32, out: usize, outStride: i32): void {
  const nPad = (N + 7) & ~7;
  const zp = i32x4.splat(zpOut);
  const lo = f32x4.splat(<f32>(qlo - zpOut));
  const hi = f32x4.splat(<f32>(qhi - zpOut));
  const rowBytes = <usize>kp << 1;
  const blockBytes = <usize>kp << 4;
  for (let n0 = 0; n0 < N; n0 += 8) {
    const count = min(8, N - n0);
    const bBlock = b + <usize>(n0 >> 3) * blockBytes;
    const epn = ep + (<usize>n0 << 2);
    for (let m0 = 0; m0 < M; m0 += 4) {
      const p0 = a + <usize>m0 * rowBytes;
      const p1 = m0 + 1 < M ? p0 + rowBytes : p0;
      const p2 = m0 + 2 < M ? p1 + rowBytes : p1;
      const p3 = m0 + 3 < M ? p2 + rowBytes : p2;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      let bp = bBlock;
      for (let k: usize = 0; k < rowBytes; k += 4) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp + 16);
        bp += 32;
        const v0 = v128.load32_splat(p0 + k);
        const v1 = v128.load32_splat(p1 + k);
        const v2 = v128.load32_splat(p2 + k);
        const v3 = v128.load32_splat(p3 + k);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(v0, b0));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(v0, b1));
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(v1, b0));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(v1, b1));
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(v2, b0));
        c21 = i32x4.add(c21, i32x4.dot_i16x8_s(v2, b1));
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(v3, b0));
        c31 = i32x4.add(c31, i32x4.dot_i16x8_s(v3, b1));
      }
      if (sizeof<O>() === 4) finishTileF32(out + ((<usize>m0 * <usize>outStride + <usize>n0) << 2), <usize>outStride << 2, M - m0, c00, c01, c10, c11, c20, c21, c30, c31, epn, nPad, count);
      else finishTile(out + <usize>m0 * <usize>outStride + <usize>n0, <usize>outStride, M - m0, c00, c01, c10, c11, c20, c21, c30, c31, epn, nPad, lo, hi, zp, count);
    }
  }
}

/**
 * Packs a run-time int8 matrix B for gemmI16 (the second operand of a batch matmul): element
 * (k, n) at b + k * ldk + n * ldn, stored as int16 b - zb in gemmI16's layout [nPad / 8][kp / 2][8 n][2 k],
 * zero beyond K and N. ldk = 1, ldn = row length packs the transpose of a row-major matrix.
 */
export function packB16(b: usize, K: i32, N: i32, ldk: i32, ldn: i32, zb: i32, kp: i32, out: usize): void {
  const nPad = (N + 7) & ~7;
  memory.fill(out, 0, (<usize>nPad * <usize>kp) << 1);
  for (let n = 0; n < N; n++) {
    const blk = out + ((<usize>(n >> 3) * <usize>kp) << 4) + (<usize>(n & 7) << 2);
    const col = b + <usize>n * <usize>ldn;
    for (let k = 0; k < K; k++) store<i16>(blk + (<usize>(k >> 1) << 5) + (<usize>(k & 1) << 1), <i16>(<i32>load<i8>(col + <usize>k * <usize>ldk) - zb));
  }
}

/**
 * im2col of output rows oy0..oy1-1 of one NHWC int8 image for the SIMD128 GEMM: row (oy, ox) holds, for ky, kx, c, the
 * int16 value x - zx (0 outside the image), zero-padded to kp values. The kw taps of a kernel row
 * are one contiguous run of kw * C values when they lie inside the image (dilation 1): it is
 * widened 8 values at a time. Stores run up to 16 bytes past a run (the next run or row
 * overwrites them) and loads up to 8 bytes past a pixel: both buffers need 16 bytes of slack.
 */
export function im2colI16(x: usize, H: i32, W: i32, C: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32, oy0: i32, oy1: i32, OW: i32, zx: i32, kp: i32, out: usize): void {
  const zv = i16x8.splat(<i16>zx);
  const run = kw * C;
  const tapBytes = <usize>C << 1;
  let row = out;
  for (let oy = oy0; oy < oy1; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let q = row;
      const ix0 = ox * sw - padLeft;
      const inside = dw === 1 && ix0 >= 0 && ix0 + kw <= W;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky * dh;
        if (iy < 0 || iy >= H) {
          zeros(q, <usize>run << 1);
          q += <usize>run << 1;
        } else if (inside) {
          const src = x + <usize>(iy * W + ix0) * <usize>C;
          for (let j = 0; j < run; j += 8) v128.store(q + (<usize>j << 1), i16x8.sub(v128.load8x8_s(src + <usize>j), zv));
          q += <usize>run << 1;
        } else {
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix < 0 || ix >= W) zeros(q, tapBytes);
            else {
              const src = x + (<usize>(iy * W + ix) * <usize>C);
              for (let c = 0; c < C; c += 8) v128.store(q + (<usize>c << 1), i16x8.sub(v128.load8x8_s(src + <usize>c), zv));
            }
            q += tapBytes;
          }
        }
      }
      const used = <i32>((q - row) >> 1);
      if (used < kp) zeros(q, <usize>(kp - used) << 1);
      row += <usize>kp << 1;
    }
  }
}

/** Widens int8 rows (row stride lda) to int16 x - zx rows of kp values (zero-padded). */
export function widenRowsI16(x: usize, M: i32, K: i32, lda: i32, zx: i32, kp: i32, out: usize): void {
  const zv = i16x8.splat(<i16>zx);
  for (let m = 0; m < M; m++) {
    const src = x + <usize>m * <usize>lda;
    const dst = out + ((<usize>m * <usize>kp) << 1);
    let c = 0;
    for (; c + 8 <= K; c += 8) v128.store(dst + (<usize>c << 1), i16x8.sub(v128.load8x8_s(src + <usize>c), zv));
    for (; c < K; c++) store<i16>(dst + (<usize>c << 1), <i16>(<i32>load<i8>(src + <usize>c) - zx));
    if (K < kp) memory.fill(dst + (<usize>K << 1), 0, <usize>(kp - K) << 1);
  }
}

/**
 * Depthwise conv2d (channel multiplier 1) of one NHWC int8 image. w: int16 weights [kh][kw][cPad]
 * (cPad = C rounded up to 8, zero beyond C); ep: float32 multipliers then biases (cPad each).
 * The image is first widened once to int16 x - zx with cPad channels in `scratch`
 * (H * W * cPad * 2 bytes, then 4 bytes per tap); interior pixels pair the taps for
 * i32x4.dot_i16x8_s (weights `wp`: [taps / 2][cPad / 8][8 channels x 2 taps] twice); taps outside the image contribute nothing (x - zx is 0 there by definition).
 */
export function depthwiseI16(x: usize, H: i32, W: i32, C: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32, OH: i32, OW: i32, zx: i32, w: usize, wp: usize, ep: usize, zpOut: i32, qlo: i32, qhi: i32, out: usize, scratch: usize): void {
  const cPad = (C + 7) & ~7;
  const zp = i32x4.splat(zpOut);
  const lo = f32x4.splat(<f32>(qlo - zpOut));
  const hi = f32x4.splat(<f32>(qhi - zpOut));
  const px = <usize>cPad << 1;
  for (let p = 0; p < H * W; p++) {
    const src = x + <usize>p * <usize>C;
    const dst = scratch + <usize>p * px;
    widenRow(src, C, zx, dst);
    if (cPad !== C) memory.fill(dst + (<usize>C << 1), 0, <usize>(cPad - C) << 1);
  }
  const rowBytes = <usize>W * px;
  const cLast = C - 8;
  // Byte offsets of the taps from the window's corner (pairs; an odd last tap pairs with itself,
  // its partner's weights being zero), after the widened image in scratch.
  const T = kh * kw;
  const T2 = (T + 1) >> 1;
  const offs = scratch + <usize>(H * W) * px;
  for (let t = 0; t < 2 * T2; t++) {
    const tt = t < T ? t : 0;
    store<i32>(offs + (<usize>t << 2), (tt / kw) * dh * <i32>rowBytes + (tt % kw) * dw * <i32>px);
  }
  const groups = <usize>(cPad >> 3);
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * sh - padTop;
    const ky0 = iy0 >= 0 ? 0 : (-iy0 + dh - 1) / dh;
    const ky1 = min(kh, (H - iy0 + dh - 1) / dh);
    // 3x3 kernels: the pixels of this row whose taps are all inside run channel group by channel
    // group, the group's weights held in registers (dw3x3Run).
    let skipA = 0;
    let skipB = 0;
    if (kh === 3 && kw === 3 && dh === 1 && dw === 1 && ky0 === 0 && ky1 === 3 && W >= 3) {
      skipA = (padLeft + sw - 1) / sw;
      skipB = min(OW, (W - 3 + padLeft) / sw + 1);
      if (skipB > skipA) dw3x3Run(scratch + <usize>iy0 * rowBytes, rowBytes, px, C, cPad, sw, padLeft, skipA, skipB, wp, ep, lo, hi, zp, out + <usize>(oy * OW) * <usize>C);
    }
    for (let ox = 0; ox < OW; ox++) {
      if (ox === skipA && skipB > skipA) {
        ox = skipB - 1;
        continue;
      }
      const ix0 = ox * sw - padLeft;
      const kx0 = ix0 >= 0 ? 0 : (-ix0 + dw - 1) / dw;
      const kx1 = min(kw, (W - ix0 + dw - 1) / dw);
      const o = out + (<usize>(oy * OW + ox) * <usize>C);
      const base = scratch + <usize>iy0 * rowBytes + <usize>ix0 * px;
      if (ky0 === 0 && kx0 === 0 && ky1 === kh && kx1 === kw) {
        // Interior: every tap inside; two taps per i32x4.dot_i16x8_s (8 channels x 2 taps).
        for (let c = 0; c < C; c += 8) {
          let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
          const cb = base + (<usize>c << 1);
          let wq = wp + (<usize>(c >> 3) << 5);
          for (let p = 0; p < T2; p++) {
            const xa = v128.load(cb + <usize>load<i32>(offs + (<usize>p << 3)));
            const xb = v128.load(cb + <usize>load<i32>(offs + (<usize>p << 3) + 4));
            a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), v128.load(wq)));
            a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), v128.load(wq + 16)));
            wq += groups << 5;
          }
          finishRow(o + <usize>c, a0, a1, ep + (<usize>c << 2), cPad, lo, hi, zp, c <= cLast ? 8 : C - c);
        }
        continue;
      }
      for (let c = 0; c < C; c += 8) {
        let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
        const cOff = <usize>c << 1;
        for (let ky = ky0; ky < ky1; ky++) {
          const rowP = base + <usize>(ky * dh) * rowBytes + cOff;
          const wRow = w + ((<usize>(ky * kw * cPad + c)) << 1);
          for (let kx = kx0; kx < kx1; kx++) {
            const xv = v128.load(rowP + <usize>(kx * dw) * px);
            const wv = v128.load(wRow + ((<usize>(kx * cPad)) << 1));
            a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(xv, wv));
            a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(xv, wv));
          }
        }
        finishRow(o + <usize>c, a0, a1, ep + (<usize>c << 2), cPad, lo, hi, zp, c <= cLast ? 8 : C - c);
      }
    }
  }
}

/**
 * Output pixels ox0..ox1-1 of one row of a 3x3 depthwise conv (stride sw, dilation 1), all taps
 * inside the widened image: `row` is the widened input row of the top taps, `out` the output row.
 * Channel group by channel group, the group's tap-pair weights (`wp`, as in depthwiseI16) stay in
 * registers; two taps per i32x4.dot_i16x8_s, the ninth paired with itself (its partner weight is 0).
 */
function dw3x3Run(row: usize, rowBytes: usize, px: usize, C: i32, cPad: i32, sw: i32, padLeft: i32, ox0: i32, ox1: i32, wp: usize, ep: usize, lo: v128, hi: v128, zp: v128, out: usize): void {
  const pairStride = <usize>(cPad >> 3) << 5;
  const cLast = C - 8;
  for (let c = 0; c < C; c += 8) {
    const wq = wp + (<usize>(c >> 3) << 5);
    const p0l = v128.load(wq), p0h = v128.load(wq + 16);
    const p1l = v128.load(wq + pairStride), p1h = v128.load(wq + pairStride + 16);
    const p2l = v128.load(wq + 2 * pairStride), p2h = v128.load(wq + 2 * pairStride + 16);
    const p3l = v128.load(wq + 3 * pairStride), p3h = v128.load(wq + 3 * pairStride + 16);
    const p4l = v128.load(wq + 4 * pairStride), p4h = v128.load(wq + 4 * pairStride + 16);
    const epc = ep + (<usize>c << 2);
    const count = c <= cLast ? 8 : C - c;
    for (let ox = ox0; ox < ox1; ox++) {
      const b0 = row + <usize>(ox * sw - padLeft) * px + (<usize>c << 1);
      const b1 = b0 + rowBytes;
      const b2 = b1 + rowBytes;
      let a0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let xa = v128.load(b0);
      let xb = v128.load(b0 + px);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), p0l));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), p0h));
      xa = v128.load(b0 + 2 * px);
      xb = v128.load(b1);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), p1l));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), p1h));
      xa = v128.load(b1 + px);
      xb = v128.load(b1 + 2 * px);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), p2l));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), p2h));
      xa = v128.load(b2);
      xb = v128.load(b2 + px);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 0, 8, 1, 9, 2, 10, 3, 11), p3l));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xb, 4, 12, 5, 13, 6, 14, 7, 15), p3h));
      xa = v128.load(b2 + 2 * px);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xa, 0, 8, 1, 9, 2, 10, 3, 11), p4l));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.shuffle(xa, xa, 4, 12, 5, 13, 6, 14, 7, 15), p4h));
      finishRow(out + <usize>ox * <usize>C + <usize>c, a0, a1, epc, cPad, lo, hi, zp, count);
    }
  }
}

/** Widens C int8 values to int16 x - zx. */
function widenRow(src: usize, C: i32, zx: i32, dst: usize): void {
  const zv = i16x8.splat(<i16>zx);
  let c = 0;
  for (; c + 8 <= C; c += 8) v128.store(dst + (<usize>c << 1), i16x8.sub(v128.load8x8_s(src + <usize>c), zv));
  for (; c < C; c++) store<i16>(dst + (<usize>c << 1), <i16>(<i32>load<i8>(src + <usize>c) - zx));
}

/**
 * Elementwise sum of two int8 tensors of `n` values, as the simulation computes it in float32:
 * v = f32(f32((a - za) * sa) + f32((b - zb) * sb)); out = clamp(round_half_even(f32(v / so)), lo - zo, hi - zo) + zo.
 */
export function addI8(a: usize, za: i32, sa: f32, b: usize, zb: i32, sb: f32, n: i32, so: f32, zo: i32, qlo: i32, qhi: i32, out: usize): void {
  const zav = i32x4.splat(za);
  const zbv = i32x4.splat(zb);
  const sav = f32x4.splat(sa);
  const sbv = f32x4.splat(sb);
  const sov = f32x4.splat(so);
  const zp = i32x4.splat(zo);
  const lo = f32x4.splat(<f32>(qlo - zo));
  const hi = f32x4.splat(<f32>(qhi - zo));
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const av = v128.load8x8_s(a + <usize>i);
    const bv = v128.load8x8_s(b + <usize>i);
    const r0 = addLanes(i32x4.extend_low_i16x8_s(av), i32x4.extend_low_i16x8_s(bv), zav, zbv, sav, sbv, sov, lo, hi, zp);
    const r1 = addLanes(i32x4.extend_high_i16x8_s(av), i32x4.extend_high_i16x8_s(bv), zav, zbv, sav, sbv, sov, lo, hi, zp);
    v128.store64_lane(out + <usize>i, pack8(r0, r1), 0);
  }
  for (; i < n; i++) {
    const fa = <f32>(<i32>load<i8>(a + <usize>i) - za) * sa;
    const fb = <f32>(<i32>load<i8>(b + <usize>i) - zb) * sb;
    let v = (fa + fb) / so;
    v = min(max(v, <f32>(qlo - zo)), <f32>(qhi - zo));
    store<i8>(out + <usize>i, <i8>(<i32>nearest<f32>(v) + zo));
  }
}

function addLanes(a: v128, b: v128, za: v128, zb: v128, sa: v128, sb: v128, so: v128, lo: v128, hi: v128, zp: v128): v128 {
  const fa = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(a, za)), sa);
  const fb = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(b, zb)), sb);
  return roundAddZp(f32x4.min(f32x4.max(f32x4.div(f32x4.add(fa, fb), so), lo), hi), zp);
}

/** Max pooling of one NHWC int8 image (taps outside the image are skipped, as in tfjs). */
export function maxPoolI8(x: usize, H: i32, W: i32, C: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32, OH: i32, OW: i32, out: usize): void {
  for (let oy = 0; oy < OH; oy++) {
    const y0 = max(oy * sh - padTop, 0);
    const y1 = min(oy * sh - padTop + kh, H);
    for (let ox = 0; ox < OW; ox++) {
      const x0 = max(ox * sw - padLeft, 0);
      const x1 = min(ox * sw - padLeft + kw, W);
      const o = out + <usize>(oy * OW + ox) * <usize>C;
      let c = 0;
      for (; c + 16 <= C; c += 16) {
        let m = i8x16.splat(-128);
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) m = i8x16.max_s(m, v128.load(x + <usize>(iy * W + ix) * <usize>C + <usize>c));
        v128.store(o + <usize>c, m);
      }
      for (; c < C; c++) {
        let m: i32 = -128;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) m = max(m, <i32>load<i8>(x + <usize>(iy * W + ix) * <usize>C + <usize>c));
        store<i8>(o + <usize>c, <i8>m);
      }
    }
  }
}

/**
 * Global average pooling of `n` NHWC int8 images of HW pixels and C channels: acc = sum of x - zx
 * over the pixels (exact int32), then the requantization of the other kernels with the multiplier
 * `mult` (= f32(sx / (HW * sy))) and no bias. `scratch` holds C rounded up to 8 int32.
 */
export function globalAvgPoolI8(x: usize, n: i32, HW: i32, C: i32, zx: i32, mult: f32, zpOut: i32, qlo: i32, qhi: i32, out: usize, scratch: usize): void {
  const cPad = (C + 7) & ~7;
  const zp = i32x4.splat(zpOut);
  const lo = f32x4.splat(<f32>(qlo - zpOut));
  const hi = f32x4.splat(<f32>(qhi - zpOut));
  const mv = f32x4.splat(mult);
  const bias = f32x4.splat(0);
  const corr = i32x4.splat(-zx * HW);
  const cLast = C - 8;
  for (let b = 0; b < n; b++) {
    const img = x + <usize>b * <usize>HW * <usize>C;
    memory.fill(scratch, 0, <usize>cPad << 2);
    for (let p = 0; p < HW; p++) {
      const src = img + <usize>p * <usize>C;
      let c = 0;
      for (; c + 8 <= C; c += 8) {
        const v = v128.load8x8_s(src + <usize>c);
        const s = scratch + (<usize>c << 2);
        v128.store(s, i32x4.add(v128.load(s), i32x4.extend_low_i16x8_s(v)));
        v128.store(s + 16, i32x4.add(v128.load(s + 16), i32x4.extend_high_i16x8_s(v)));
      }
      for (; c < C; c++) {
        const s = scratch + (<usize>c << 2);
        store<i32>(s, load<i32>(s) + <i32>load<i8>(src + <usize>c));
      }
    }
    const o = out + <usize>b * <usize>C;
    for (let c = 0; c < C; c += 8) {
      const s = scratch + (<usize>c << 2);
      const r0 = requant4(i32x4.add(v128.load(s), corr), mv, bias, lo, hi, zp);
      const r1 = requant4(i32x4.add(v128.load(s + 16), corr), mv, bias, lo, hi, zp);
      store8(o + <usize>c, pack8(r0, r1), c <= cLast ? 8 : C - c);
    }
  }
}

/**
 * float32 values to int8 as fake quantization rounds them: clamp(round_half_even(f32(v / s)) + zp, qmin, qmax)
 * (the clamp is applied before rounding, in the centered domain: the same for integer bounds).
 */
export function quantizeF32(src: usize, n: i32, s: f32, zpOut: i32, qlo: i32, qhi: i32, out: usize): void {
  const sv = f32x4.splat(s);
  const zp = i32x4.splat(zpOut);
  const lo = f32x4.splat(<f32>(qlo - zpOut));
  const hi = f32x4.splat(<f32>(qhi - zpOut));
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = src + (<usize>i << 2);
    const a = quantLanes(v128.load(p), sv, lo, hi, zp);
    const b = quantLanes(v128.load(p + 16), sv, lo, hi, zp);
    v128.store64_lane(out + <usize>i, pack8(a, b), 0);
  }
  for (; i < n; i++) {
    const v = min(max(load<f32>(src + (<usize>i << 2)) / s, <f32>(qlo - zpOut)), <f32>(qhi - zpOut));
    store<i8>(out + <usize>i, <i8>(<i32>nearest<f32>(v) + zpOut));
  }
}

function quantLanes(v: v128, s: v128, lo: v128, hi: v128, zp: v128): v128 {
  const q = f32x4.min(f32x4.max(f32x4.div(v, s), lo), hi);
  return i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(q)), zp);
}

/** int8 to float32 f32((q - zp) * s), as fake quantization dequantizes (the inverse of quantizeF32 on the grid). */
export function dequantizeI8(src: usize, n: i32, s: f32, zp: i32, out: usize): void {
  const sv = f32x4.splat(s);
  const zv = i32x4.splat(zp);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load8x8_s(src + <usize>i);
    const p = out + (<usize>i << 2);
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(v), zv)), sv));
    v128.store(p + 16, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(v), zv)), sv));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>(<i32>load<i8>(src + <usize>i) - zp) * s);
}

/** Elementwise table lookup of `n` int8 values: out[i] = table[x[i] + 128] (a unary op between two int8 grids). */
export function lookupI8(src: usize, n: i32, table: usize, out: usize): void {
  for (let i = 0; i < n; i++) store<i8>(out + <usize>i, load<i8>(table + <usize>(<i32>load<i8>(src + <usize>i) + 128)));
}
