// Shared requantize/store helpers of the int8 kernels (AssemblyScript, compiled twice by scripts/build-wasm.mjs: SIMD128 and relaxed SIMD).
// All pointers are byte offsets into this module's memory, which the JavaScript side manages.
// Accumulation is exact int32; requantization is the float32 sequence documented in
// ../reference.ts (convert, multiply, add, clamp, round half to even, add zero point).

/**
 * Rounds 4 float32 lanes within [-2^22, 2^22] half to even and adds the zero point: v + 1.5 * 2^23
 * lies where float32 steps are exactly 1, so the addition itself rounds v (half to even, the
 * default rounding mode), and the sum's bits are 0x4B400000 + round(v). Two instructions instead
 * of f32x4.nearest + i32x4.trunc_sat_f32x4_s (which V8 expands to about eight on x86).
 */
export function roundAddZp(v: v128, zp: v128): v128 {
  return i32x4.sub(f32x4.add(v, f32x4.splat(12582912.0)), i32x4.sub(i32x4.splat(0x4b400000), zp));
}

/** Requantizes 4 int32 accumulators of channels c..c+3 to int32 lanes holding int8 values. */
export function requant4(acc: v128, mult: v128, bias: v128, lo: v128, hi: v128, zp: v128): v128 {
  let v = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc), mult), bias);
  v = f32x4.min(f32x4.max(v, lo), hi);
  return roundAddZp(v, zp);
}

/** Packs two requantized int32x4 (8 channels) into the low 8 bytes of a v128 (int8). */
export function pack8(a: v128, b: v128): v128 {
  const h = i16x8.narrow_i32x4_s(a, b);
  return i8x16.narrow_i16x8_s(h, h);
}

/** Stores 8 int8 lanes at p, or only the first `count` of them. */
export function store8(p: usize, v: v128, count: i32): void {
  if (count >= 8) {
    v128.store64_lane(p, v, 0);
  } else {
    for (let j = 0; j < count; j++) store<i8>(p + <usize>j, <i8>i8x16.extract_lane_s(i8x16.swizzle(v, i8x16.splat(<i8>j)), 0));
  }
}

/**
 * Requantizes one row of 8 channels (two int32x4 accumulators) and stores it.
 * `ep` holds per-channel float32 multipliers at ep and biases at ep + 4 * nPad.
 */
export function finishRow(out: usize, a0: v128, a1: v128, ep: usize, nPad: i32, lo: v128, hi: v128, zp: v128, count: i32): void {
  const bOff = <usize>nPad << 2;
  const r0 = requant4(a0, v128.load(ep), v128.load(ep + bOff), lo, hi, zp);
  const r1 = requant4(a1, v128.load(ep + 16), v128.load(ep + bOff + 16), lo, hi, zp);
  store8(out, pack8(r0, r1), count);
}


/** Requantizes and stores a GEMM tile of 4 rows x 8 channels (only the first `rows` rows, `count` channels). */
export function finishTile(o: usize, os: usize, rows: i32, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128, ep: usize, nPad: i32, lo: v128, hi: v128, zp: v128, count: i32): void {
  finishRow(o, c00, c01, ep, nPad, lo, hi, zp, count);
  if (rows > 1) finishRow(o + os, c10, c11, ep, nPad, lo, hi, zp, count);
  if (rows > 2) finishRow(o + 2 * os, c20, c21, ep, nPad, lo, hi, zp, count);
  if (rows > 3) finishRow(o + 3 * os, c30, c31, ep, nPad, lo, hi, zp, count);
}

/** Zeroes at least `bytes` bytes at p, 16 at a time (up to 15 more: callers leave slack or overwrite them). */
export function zeros(p: usize, bytes: usize): void {
  const z = i32x4.splat(0);
  for (let i: usize = 0; i < bytes; i += 16) v128.store(p + i, z);
}

/** Stores the first `count` of 8 float32 lanes (two v128) at p. */
function storeF32(p: usize, v0: v128, v1: v128, count: i32): void {
  if (count >= 8) {
    v128.store(p, v0);
    v128.store(p + 16, v1);
    return;
  }
  if (count > 0) store<f32>(p, f32x4.extract_lane(v0, 0));
  if (count > 1) store<f32>(p + 4, f32x4.extract_lane(v0, 1));
  if (count > 2) store<f32>(p + 8, f32x4.extract_lane(v0, 2));
  if (count > 3) store<f32>(p + 12, f32x4.extract_lane(v0, 3));
  if (count > 4) store<f32>(p + 16, f32x4.extract_lane(v1, 0));
  if (count > 5) store<f32>(p + 20, f32x4.extract_lane(v1, 1));
  if (count > 6) store<f32>(p + 24, f32x4.extract_lane(v1, 2));
}

/** One row of 8 channels as float32 f32(f32(acc) * mult) + bias (no rounding): the epilogue of the float-output GEMMs. */
function finishRowF32(out: usize, a0: v128, a1: v128, ep: usize, nPad: i32, count: i32): void {
  const bOff = <usize>nPad << 2;
  const v0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a0), v128.load(ep)), v128.load(ep + bOff));
  const v1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a1), v128.load(ep + 16)), v128.load(ep + bOff + 16));
  storeF32(out, v0, v1, count);
}

/** {@link finishTile} with float32 outputs (row stride `os` in bytes). */
export function finishTileF32(o: usize, os: usize, rows: i32, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128, ep: usize, nPad: i32, count: i32): void {
  finishRowF32(o, c00, c01, ep, nPad, count);
  if (rows > 1) finishRowF32(o + os, c10, c11, ep, nPad, count);
  if (rows > 2) finishRowF32(o + 2 * os, c20, c21, ep, nPad, count);
  if (rows > 3) finishRowF32(o + 3 * os, c30, c31, ep, nPad, count);
}
