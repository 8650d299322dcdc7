// Conv2D filter gradient as a direct SIMD loop (AssemblyScript, compiled by scripts/build-wasm.mjs
// with an imported memory: the wasm backend's heap). All pointers are byte offsets into that heap.
//
//   dW[i, j, ci, co] = sum over n, oy, ox of x[n, oy*sh + i*dh - top, ox*sw + j*dw - left, ci] * dy[n, oy, ox, co]
//
// For every image and tap (i, j) the valid output rows/columns are computed once (no per-pixel
// bounds test); a tile of 4 input channels x 8 output channels is accumulated in 8 f32x4
// registers over the image's pixels (starting from zero, so each image's partial sum is exact-ish)
// and then added into dW. Input channels left over from the blocks of 4 use 1 x 8 tiles. Lanes past
// cout (cout not a multiple of 8) read the next pixel's values: they are never stored, and the JS
// side checks that such over-reads stay inside the memory.

/** ceil(a / b) for b > 0 and any sign of a. */
function ceilDiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/** floor(a / b) for b > 0 and any sign of a. */
function floorDiv(a: i32, b: i32): i32 {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/** out[0..count) += the first `count` lanes of (v0, v1). */
function addStore(p: usize, v0: v128, v1: v128, count: i32): void {
  if (count >= 8) {
    v128.store(p, f32x4.add(v128.load(p), v0));
    v128.store(p + 16, f32x4.add(v128.load(p + 16), v1));
    return;
  }
  if (count >= 4) {
    v128.store(p, f32x4.add(v128.load(p), v0));
    if (count > 4) store<f32>(p + 16, load<f32>(p + 16) + f32x4.extract_lane(v1, 0));
    if (count > 5) store<f32>(p + 20, load<f32>(p + 20) + f32x4.extract_lane(v1, 1));
    if (count > 6) store<f32>(p + 24, load<f32>(p + 24) + f32x4.extract_lane(v1, 2));
    return;
  }
  store<f32>(p, load<f32>(p) + f32x4.extract_lane(v0, 0));
  if (count > 1) store<f32>(p + 4, load<f32>(p + 4) + f32x4.extract_lane(v0, 1));
  if (count > 2) store<f32>(p + 8, load<f32>(p + 8) + f32x4.extract_lane(v0, 2));
}

/**
 * dW ([kh, kw, cin, cout], float32, overwritten) of a conv with input x ([n, h, w, cin]) and
 * output gradient dy ([n, oh, ow, cout]); strides sh, sw, dilations dh, dw, padding top/left.
 */
export function conv2dFilterGrad(
  x: usize, dy: usize, out: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, top: i32, left: i32,
): void {
  const total = <usize>(kh * kw * cin * cout) << 2;
  memory.fill(out, 0, total);
  const xImage = <usize>(h * w * cin) << 2;
  const dyImage = <usize>(oh * ow * cout) << 2;
  const xStep = <usize>(sw * cin) << 2;
  const dyStep = <usize>cout << 2;
  const cin4 = cin & ~3;
  for (let b = 0; b < n; b++) {
    const xn = x + <usize>b * xImage;
    const dyn = dy + <usize>b * dyImage;
    for (let i = 0; i < kh; i++) {
      const offH = i * dh - top;
      const oy0 = max(0, ceilDiv(-offH, sh));
      const oy1 = min(oh, floorDiv(h - 1 - offH, sh) + 1);
      if (oy0 >= oy1) continue;
      for (let j = 0; j < kw; j++) {
        const offW = j * dw - left;
        const ox0 = max(0, ceilDiv(-offW, sw));
        const ox1 = min(ow, floorDiv(w - 1 - offW, sw) + 1);
        if (ox0 >= ox1) continue;
        const cols = ox1 - ox0;
        const tapOut = out + (<usize>((i * kw + j) * cin * cout) << 2);
        for (let co = 0; co < cout; co += 8) {
          const count = min(8, cout - co);
          for (let ci = 0; ci < cin4; ci += 4) {
            let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
            let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
            for (let oy = oy0; oy < oy1; oy++) {
              const iy = oy * sh + offH;
              let px = xn + (<usize>((iy * w + ox0 * sw + offW) * cin + ci) << 2);
              let pd = dyn + (<usize>((oy * ow + ox0) * cout + co) << 2);
              for (let k = 0; k < cols; k++) {
                const d0 = v128.load(pd);
                const d1 = v128.load(pd, 16);
                let s = v128.load32_splat(px);
                a00 = f32x4.add(a00, f32x4.mul(s, d0));
                a01 = f32x4.add(a01, f32x4.mul(s, d1));
                s = v128.load32_splat(px, 4);
                a10 = f32x4.add(a10, f32x4.mul(s, d0));
                a11 = f32x4.add(a11, f32x4.mul(s, d1));
                s = v128.load32_splat(px, 8);
                a20 = f32x4.add(a20, f32x4.mul(s, d0));
                a21 = f32x4.add(a21, f32x4.mul(s, d1));
                s = v128.load32_splat(px, 12);
                a30 = f32x4.add(a30, f32x4.mul(s, d0));
                a31 = f32x4.add(a31, f32x4.mul(s, d1));
                px += xStep;
                pd += dyStep;
              }
            }
            const o = tapOut + (<usize>(ci * cout + co) << 2);
            addStore(o, a00, a01, count);
            addStore(o + dyStep, a10, a11, count);
            addStore(o + 2 * dyStep, a20, a21, count);
            addStore(o + 3 * dyStep, a30, a31, count);
          }
          for (let ci = cin4; ci < cin; ci++) {
            let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
            for (let oy = oy0; oy < oy1; oy++) {
              const iy = oy * sh + offH;
              let px = xn + (<usize>((iy * w + ox0 * sw + offW) * cin + ci) << 2);
              let pd = dyn + (<usize>((oy * ow + ox0) * cout + co) << 2);
              let k = 0;
              for (; k + 1 < cols; k += 2) {
                const s = v128.load32_splat(px);
                a0 = f32x4.add(a0, f32x4.mul(s, v128.load(pd)));
                a1 = f32x4.add(a1, f32x4.mul(s, v128.load(pd, 16)));
                const t = v128.load32_splat(px + xStep);
                b0 = f32x4.add(b0, f32x4.mul(t, v128.load(pd + dyStep)));
                b1 = f32x4.add(b1, f32x4.mul(t, v128.load(pd + dyStep, 16)));
                px += xStep << 1;
                pd += dyStep << 1;
              }
              if (k < cols) {
                const s = v128.load32_splat(px);
                a0 = f32x4.add(a0, f32x4.mul(s, v128.load(pd)));
                a1 = f32x4.add(a1, f32x4.mul(s, v128.load(pd, 16)));
              }
            }
            addStore(tapOut + (<usize>(ci * cout + co) << 2), f32x4.add(a0, b0), f32x4.add(a1, b1), count);
          }
        }
      }
    }
  }
}
