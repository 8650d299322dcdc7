// Direct NHWC conv2d forward as a SIMD loop (AssemblyScript; compiled with filter-grad.ts into
// one module by scripts/build-wasm.mjs, imported memory: the wasm backend's heap):
//
//   y[n, oy, ox, co] = sum over i, j, ci of x[n, oy*sh + i*dh - top, ox*sw + j*dw - left, ci] * f[i, j, ci, co]
//
// Tiles of 4 output pixels (along a row) x 8 output channels live in 8 f32x4 registers over the
// whole (i, j, ci) reduction. Each pixel of a tile reads its input row through its own pointer;
// a tap that falls into the padding (or a pixel past the row's end) points at `zero`, a
// caller-provided block of cin zero floats, so the loop has no bounds tests. Lanes past cout
// read the next filter row: they are never stored (the JS side checks that over-reads stay inside
// the memory).

/** y[0..count) = the first `count` lanes of (v0, v1). */
function storeLanes(p: usize, v0: v128, v1: v128, count: i32): void {
  if (count >= 8) {
    v128.store(p, v0);
    v128.store(p + 16, v1);
    return;
  }
  if (count >= 4) {
    v128.store(p, v0);
    if (count > 4) store<f32>(p + 16, f32x4.extract_lane(v1, 0));
    if (count > 5) store<f32>(p + 20, f32x4.extract_lane(v1, 1));
    if (count > 6) store<f32>(p + 24, f32x4.extract_lane(v1, 2));
    return;
  }
  store<f32>(p, f32x4.extract_lane(v0, 0));
  if (count > 1) store<f32>(p + 4, f32x4.extract_lane(v0, 1));
  if (count > 2) store<f32>(p + 8, f32x4.extract_lane(v0, 2));
}

/** Address of x[n, iy, ix, 0] in image `xn`, or `zero` when ix is outside [0, w). */
function pixel(xn: usize, zero: usize, rowOff: i32, ix: i32, w: i32, cin: i32): usize {
  return ix >= 0 && ix < w ? xn + (<usize>((rowOff + ix) * cin) << 2) : zero;
}

/**
 * y ([n, oh, ow, cout], float32, overwritten) = conv2d(x [n, h, w, cin], f [kh, kw, cin, cout]);
 * strides sh, sw, dilations dh, dw, padding top / left (any sign: negative crops); `zero` points
 * at cin zero floats.
 */
export function conv2dForward(
  x: usize, f: usize, y: usize, zero: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, top: i32, left: i32,
): void {
  const xImage = <usize>(h * w * cin) << 2;
  const yRow = <usize>(ow * cout) << 2;
  const fRow = <usize>cout << 2;
  const fTap = <usize>(cin * cout) << 2;
  for (let b = 0; b < n; b++) {
    const xn = x + <usize>b * xImage;
    for (let oy = 0; oy < oh; oy++) {
      const yr = y + (<usize>(b * oh + oy)) * yRow;
      for (let ox = 0; ox < ow; ox += 4) {
        const pixels = min(4, ow - ox);
        for (let co = 0; co < cout; co += 8) {
          const count = min(8, cout - co);
          let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
          let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
          for (let i = 0; i < kh; i++) {
            const iy = oy * sh + i * dh - top;
            if (iy < 0 || iy >= h) continue;
            const rowOff = iy * w;
            for (let j = 0; j < kw; j++) {
              const ix = ox * sw + j * dw - left;
              let p0 = pixel(xn, zero, rowOff, ix, w, cin);
              let p1 = pixels > 1 ? pixel(xn, zero, rowOff, ix + sw, w, cin) : zero;
              let p2 = pixels > 2 ? pixel(xn, zero, rowOff, ix + 2 * sw, w, cin) : zero;
              let p3 = pixels > 3 ? pixel(xn, zero, rowOff, ix + 3 * sw, w, cin) : zero;
              let pf = f + <usize>(i * kw + j) * fTap + (<usize>co << 2);
              for (let ci = 0; ci < cin; ci++) {
                const f0 = v128.load(pf);
                const f1 = v128.load(pf, 16);
                let s = v128.load32_splat(p0);
                a00 = f32x4.add(a00, f32x4.mul(s, f0));
                a01 = f32x4.add(a01, f32x4.mul(s, f1));
                s = v128.load32_splat(p1);
                a10 = f32x4.add(a10, f32x4.mul(s, f0));
                a11 = f32x4.add(a11, f32x4.mul(s, f1));
                s = v128.load32_splat(p2);
                a20 = f32x4.add(a20, f32x4.mul(s, f0));
                a21 = f32x4.add(a21, f32x4.mul(s, f1));
                s = v128.load32_splat(p3);
                a30 = f32x4.add(a30, f32x4.mul(s, f0));
                a31 = f32x4.add(a31, f32x4.mul(s, f1));
                p0 += 4;
                p1 += 4;
                p2 += 4;
                p3 += 4;
                pf += fRow;
              }
            }
          }
          const o = yr + (<usize>(ox * cout + co) << 2);
          storeLanes(o, a00, a01, count);
          if (pixels > 1) storeLanes(o + fRow, a10, a11, count);
          if (pixels > 2) storeLanes(o + 2 * fRow, a20, a21, count);
          if (pixels > 3) storeLanes(o + 3 * fRow, a30, a31, count);
        }
      }
    }
  }
}
