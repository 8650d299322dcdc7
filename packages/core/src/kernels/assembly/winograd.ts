// 3x3 stride-1 conv2d as Winograd F(2x2, 3x3) (Lavin & Gray 2016), NHWC, SIMD over channels
// (AssemblyScript; compiled with conv.ts and filter-grad.ts into one module, imported memory: the
// wasm backend's heap):
//
//   Y = A^T [ (G g G^T) (.) (B^T d B) ] A   for every 2x2 output tile, d its 4x4 input patch
//
// Each 2x2 tile costs 16 multiply-adds per (input, output) channel pair instead of 36. The tiles
// are processed in blocks of `tb`: the block's input transforms V [16][tb][cin], then 16 small
// matrix products M[p] = V[p] U[p] (U = the transformed filter, [16][cin][coutPad]), then the
// output transforms, with bias and ReLU / ReLU6 applied on the way out. The scratch blocks are the
// caller's. Requires cin and cout to be multiples of 4 and coutPad a multiple of 8 (>= cout; U's
// extra columns are zeros). Padding taps read `zero`, a caller-provided block of cin zero floats.

/**
 * Floats of padding after each of the 16 planes of a tile block: planes of tb x c floats are often
 * a multiple of 4 KB apart, and the 16 loads / stores of one tile transform would then all map to
 * the same cache sets (measured: the transforms took ~half of a 28x28 32->32 conv).
 */
const PLANE_PAD = 16;

/** Bytes between consecutive planes of a tile block of tb rows of c floats (the caller's scratch holds 16 of them). */
function planeBytes(tb: i32, c: i32): usize {
  return <usize>(tb * c + PLANE_PAD) << 2;
}

/** U[p][ci][co] = (G g G^T)[p] for the [3, 3, cin, cout] filter f; columns cout..coutPad are zeros. */
export function winogradFilter(f: usize, u: usize, cin: i32, cout: i32, coutPad: i32): void {
  const tap = <usize>(cin * cout) << 2;
  const plane = <usize>(cin * coutPad) << 2;
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < coutPad; co++) {
      const o = u + (<usize>(ci * coutPad + co) << 2);
      if (co >= cout) {
        for (let p = 0; p < 16; p++) store<f32>(o + <usize>p * plane, 0);
        continue;
      }
      const g = f + (<usize>(ci * cout + co) << 2);
      // t = G g (4 x 3), rows of g are its kernel rows.
      for (let j = 0; j < 3; j++) {
        const g0 = load<f32>(g + <usize>j * tap);
        const g1 = load<f32>(g + <usize>(3 + j) * tap);
        const g2 = load<f32>(g + <usize>(6 + j) * tap);
        store<f32>(o + <usize>j * plane, g0); // scratch: t[0][j] in p = j (row 0), rewritten below
        store<f32>(o + <usize>(4 + j) * plane, 0.5 * (g0 + g1 + g2));
        store<f32>(o + <usize>(8 + j) * plane, 0.5 * (g0 - g1 + g2));
        store<f32>(o + <usize>(12 + j) * plane, g2);
      }
      // U = t G^T, row by row (t[r][0..2] sit at p = 4r .. 4r+2).
      for (let r = 0; r < 4; r++) {
        const q = o + <usize>(4 * r) * plane;
        const t0 = load<f32>(q);
        const t1 = load<f32>(q + plane);
        const t2 = load<f32>(q + 2 * plane);
        store<f32>(q, t0);
        store<f32>(q + plane, 0.5 * (t0 + t1 + t2));
        store<f32>(q + 2 * plane, 0.5 * (t0 - t1 + t2));
        store<f32>(q + 3 * plane, t2);
      }
    }
  }
}

/** Address of x[iy, ix, 0] in image `xn`, or `zero` outside the image. */
function at(xn: usize, zero: usize, iy: i32, ix: i32, h: i32, w: i32, cin: i32): usize {
  return iy >= 0 && iy < h && ix >= 0 && ix < w ? xn + (<usize>((iy * w + ix) * cin) << 2) : zero;
}

/** V[p][tl][..] = (B^T d B)[p] of the 4x4 patch whose top-left input pixel is (iy, ix) of image xn. */
function inputTile(
  xn: usize, zero: usize, v: usize, tl: i32, tb: i32, iy: i32, ix: i32, h: i32, w: i32, cin: i32,
): void {
  const q00 = at(xn, zero, iy, ix, h, w, cin), q01 = at(xn, zero, iy, ix + 1, h, w, cin);
  const q02 = at(xn, zero, iy, ix + 2, h, w, cin), q03 = at(xn, zero, iy, ix + 3, h, w, cin);
  const q10 = at(xn, zero, iy + 1, ix, h, w, cin), q11 = at(xn, zero, iy + 1, ix + 1, h, w, cin);
  const q12 = at(xn, zero, iy + 1, ix + 2, h, w, cin), q13 = at(xn, zero, iy + 1, ix + 3, h, w, cin);
  const q20 = at(xn, zero, iy + 2, ix, h, w, cin), q21 = at(xn, zero, iy + 2, ix + 1, h, w, cin);
  const q22 = at(xn, zero, iy + 2, ix + 2, h, w, cin), q23 = at(xn, zero, iy + 2, ix + 3, h, w, cin);
  const q30 = at(xn, zero, iy + 3, ix, h, w, cin), q31 = at(xn, zero, iy + 3, ix + 1, h, w, cin);
  const q32 = at(xn, zero, iy + 3, ix + 2, h, w, cin), q33 = at(xn, zero, iy + 3, ix + 3, h, w, cin);
  const plane = planeBytes(tb, cin);
  let o = v + (<usize>(tl * cin) << 2);
  for (let c: usize = 0; c < <usize>cin << 2; c += 16) {
    // Rows: e_r = d_r B (e0 = d0 - d2, e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3).
    let a = v128.load(q00 + c), b = v128.load(q01 + c), cc = v128.load(q02 + c), d = v128.load(q03 + c);
    const e00 = f32x4.sub(a, cc), e01 = f32x4.add(b, cc), e02 = f32x4.sub(cc, b), e03 = f32x4.sub(b, d);
    a = v128.load(q10 + c); b = v128.load(q11 + c); cc = v128.load(q12 + c); d = v128.load(q13 + c);
    const e10 = f32x4.sub(a, cc), e11 = f32x4.add(b, cc), e12 = f32x4.sub(cc, b), e13 = f32x4.sub(b, d);
    a = v128.load(q20 + c); b = v128.load(q21 + c); cc = v128.load(q22 + c); d = v128.load(q23 + c);
    const e20 = f32x4.sub(a, cc), e21 = f32x4.add(b, cc), e22 = f32x4.sub(cc, b), e23 = f32x4.sub(b, d);
    a = v128.load(q30 + c); b = v128.load(q31 + c); cc = v128.load(q32 + c); d = v128.load(q33 + c);
    const e30 = f32x4.sub(a, cc), e31 = f32x4.add(b, cc), e32 = f32x4.sub(cc, b), e33 = f32x4.sub(b, d);
    // Columns: v = B^T e, the same combination over rows.
    v128.store(o, f32x4.sub(e00, e20));
    v128.store(o + plane, f32x4.sub(e01, e21));
    v128.store(o + 2 * plane, f32x4.sub(e02, e22));
    v128.store(o + 3 * plane, f32x4.sub(e03, e23));
    v128.store(o + 4 * plane, f32x4.add(e10, e20));
    v128.store(o + 5 * plane, f32x4.add(e11, e21));
    v128.store(o + 6 * plane, f32x4.add(e12, e22));
    v128.store(o + 7 * plane, f32x4.add(e13, e23));
    v128.store(o + 8 * plane, f32x4.sub(e20, e10));
    v128.store(o + 9 * plane, f32x4.sub(e21, e11));
    v128.store(o + 10 * plane, f32x4.sub(e22, e12));
    v128.store(o + 11 * plane, f32x4.sub(e23, e13));
    v128.store(o + 12 * plane, f32x4.sub(e10, e30));
    v128.store(o + 13 * plane, f32x4.sub(e11, e31));
    v128.store(o + 14 * plane, f32x4.sub(e12, e32));
    v128.store(o + 15 * plane, f32x4.sub(e13, e33));
    o += 16;
  }
}

/** c[rows][n] = a[rows][k] b[k][n]: rows a multiple of 4, n of 8; 4 rows x 8 columns per register tile. */
function gemm(a: usize, b: usize, c: usize, rows: i32, k: i32, n: i32): void {
  const aRow = <usize>k << 2;
  const cRow = <usize>n << 2;
  for (let r = 0; r < rows; r += 4) {
    const a0 = a + <usize>r * aRow;
    const c0 = c + <usize>r * cRow;
    for (let co = 0; co < n; co += 8) {
      let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
      let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
      let pb = b + (<usize>co << 2);
      let pa = a0;
      for (let i = 0; i < k; i++) {
        const f0 = v128.load(pb);
        const f1 = v128.load(pb, 16);
        let s = v128.load32_splat(pa);
        x00 = f32x4.add(x00, f32x4.mul(s, f0));
        x01 = f32x4.add(x01, f32x4.mul(s, f1));
        s = v128.load32_splat(pa + aRow);
        x10 = f32x4.add(x10, f32x4.mul(s, f0));
        x11 = f32x4.add(x11, f32x4.mul(s, f1));
        s = v128.load32_splat(pa + 2 * aRow);
        x20 = f32x4.add(x20, f32x4.mul(s, f0));
        x21 = f32x4.add(x21, f32x4.mul(s, f1));
        s = v128.load32_splat(pa + 3 * aRow);
        x30 = f32x4.add(x30, f32x4.mul(s, f0));
        x31 = f32x4.add(x31, f32x4.mul(s, f1));
        pa += 4;
        pb += cRow;
      }
      const o = c0 + (<usize>co << 2);
      v128.store(o, x00);
      v128.store(o, x01, 16);
      v128.store(o + cRow, x10);
      v128.store(o + cRow, x11, 16);
      v128.store(o + 2 * cRow, x20);
      v128.store(o + 2 * cRow, x21, 16);
      v128.store(o + 3 * cRow, x30);
      v128.store(o + 3 * cRow, x31, 16);
    }
  }
}

/** bias + activation (0 linear, 1 relu, 2 relu6) on one vector of outputs. */
function finish(v: v128, bias: v128, act: i32): v128 {
  v = f32x4.add(v, bias);
  if (act >= 1) v = f32x4.max(v, f32x4.splat(0));
  if (act === 2) v = f32x4.min(v, f32x4.splat(6));
  return v;
}

/** y's 2x2 tile at (oy, ox) = A^T M[.][tl] A + bias, activated; pixels past oh / ow are not written. */
function outputTile(
  m: usize, y: usize, bias: usize, tl: i32, tb: i32, oy: i32, ox: i32, oh: i32, ow: i32, cout: i32, coutPad: i32, act: i32,
): void {
  const plane = planeBytes(tb, coutPad);
  const mt = m + (<usize>(tl * coutPad) << 2);
  const row = <usize>(ow * cout) << 2;
  const px = <usize>cout << 2;
  const y00 = y + (<usize>((oy * ow + ox) * cout) << 2);
  const right = ox + 1 < ow;
  const down = oy + 1 < oh;
  for (let c: usize = 0; c < <usize>cout << 2; c += 16) {
    const q = mt + c;
    // s_r = A^T over rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (m_r = row r of the 4x4 tile).
    const m00 = v128.load(q), m01 = v128.load(q + plane), m02 = v128.load(q + 2 * plane), m03 = v128.load(q + 3 * plane);
    const m10 = v128.load(q + 4 * plane), m11 = v128.load(q + 5 * plane), m12 = v128.load(q + 6 * plane), m13 = v128.load(q + 7 * plane);
    const m20 = v128.load(q + 8 * plane), m21 = v128.load(q + 9 * plane), m22 = v128.load(q + 10 * plane), m23 = v128.load(q + 11 * plane);
    const m30 = v128.load(q + 12 * plane), m31 = v128.load(q + 13 * plane), m32 = v128.load(q + 14 * plane), m33 = v128.load(q + 15 * plane);
    const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
    const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
    const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
    const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
    const bv = v128.load(bias + c);
    v128.store(y00 + c, finish(f32x4.add(f32x4.add(s00, s01), s02), bv, act));
    if (right) v128.store(y00 + px + c, finish(f32x4.sub(f32x4.sub(s01, s02), s03), bv, act));
    if (down) {
      v128.store(y00 + row + c, finish(f32x4.add(f32x4.add(s10, s11), s12), bv, act));
      if (right) v128.store(y00 + row + px + c, finish(f32x4.sub(f32x4.sub(s11, s12), s13), bv, act));
    }
  }
}

/**
 * y ([n, oh, ow, cout], overwritten) = act(conv2d(x [n, h, w, cin], f) + bias) for a 3x3 stride-1
 * undilated filter given as U (winogradFilter), padding top / left (any sign), bias coutPad floats.
 * Scratch: v 16 planes of tb*cin floats, m 16 of tb*coutPad (each plane followed by PLANE_PAD floats); tb a multiple of 4.
 */
export function winogradConv(
  x: usize, u: usize, y: usize, bias: usize, zero: usize, v: usize, m: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32, coutPad: i32, top: i32, left: i32, act: i32, tb: i32,
): void {
  const tilesX = (ow + 1) >> 1;
  const perImage = ((oh + 1) >> 1) * tilesX;
  const total = n * perImage;
  const xImage = <usize>(h * w * cin) << 2;
  const yImage = <usize>(oh * ow * cout) << 2;
  const vPlane = planeBytes(tb, cin);
  const uPlane = <usize>(cin * coutPad) << 2;
  const mPlane = planeBytes(tb, coutPad);
  for (let t0 = 0; t0 < total; t0 += tb) {
    const count = min(tb, total - t0);
    const rows = (count + 3) & ~3;
    for (let tl = 0; tl < rows; tl++) {
      const t = t0 + tl;
      if (tl >= count) {
        // Rows past the last tile: zeros, so the products never meet stale (possibly denormal) floats.
        inputTile(zero, zero, v, tl, tb, -4, -4, h, w, cin);
        continue;
      }
      const b = t / perImage;
      const r = t - b * perImage;
      const ty = r / tilesX;
      inputTile(x + <usize>b * xImage, zero, v, tl, tb, 2 * ty - top, 2 * (r - ty * tilesX) - left, h, w, cin);
    }
    for (let p = 0; p < 16; p++) {
      gemm(v + <usize>p * vPlane, u + <usize>p * uPlane, m + <usize>p * mPlane, rows, cin, coutPad);
    }
    for (let tl = 0; tl < count; tl++) {
      const t = t0 + tl;
      const b = t / perImage;
      const r = t - b * perImage;
      const ty = r / tilesX;
      outputTile(m, y + <usize>b * yImage, bias, tl, tb, 2 * ty, 2 * (r - ty * tilesX), oh, ow, cout, coutPad, act);
    }
  }
}

// The filter gradient through the same transforms: with M = U (.) V and Y = A^T M A per tile,
// dL/dU[p] = sum over tiles of V[p] (.) (A dY A^T)[p], and dL/dg = G^T (dL/dU) G. Per block of
// tiles: V as in the forward pass, W = A dY A^T, then 16 products dU[p] += V[p]^T W[p].

/** W[p][tl][..] = (A dY A^T)[p] of dy's 2x2 tile at (oy, ox) of image dyn (pixels past oh / ow are zeros); columns cout..coutPad zeros. */
function gradTile(
  dyn: usize, zero: usize, wb: usize, tl: i32, tb: i32, oy: i32, ox: i32, oh: i32, ow: i32, cout: i32, coutPad: i32,
): void {
  const p00 = at(dyn, zero, oy, ox, oh, ow, cout), p01 = at(dyn, zero, oy, ox + 1, oh, ow, cout);
  const p10 = at(dyn, zero, oy + 1, ox, oh, ow, cout), p11 = at(dyn, zero, oy + 1, ox + 1, oh, ow, cout);
  const plane = planeBytes(tb, coutPad);
  const o = wb + (<usize>(tl * coutPad) << 2);
  const end = <usize>cout << 2;
  for (let c: usize = 0; c < end; c += 16) {
    const a = v128.load(p00 + c), b = v128.load(p01 + c), cc = v128.load(p10 + c), d = v128.load(p11 + c);
    // Rows of A dY: (a, b), (a + c, b + d), (a - c, b - d), (-c, -d); each row (u, v) -> (u, u + v, u - v, -v).
    const q = o + c;
    v128.store(q, a);
    v128.store(q + plane, f32x4.add(a, b));
    v128.store(q + 2 * plane, f32x4.sub(a, b));
    v128.store(q + 3 * plane, f32x4.neg(b));
    const u1 = f32x4.add(a, cc), v1 = f32x4.add(b, d);
    v128.store(q + 4 * plane, u1);
    v128.store(q + 5 * plane, f32x4.add(u1, v1));
    v128.store(q + 6 * plane, f32x4.sub(u1, v1));
    v128.store(q + 7 * plane, f32x4.neg(v1));
    const u2 = f32x4.sub(a, cc), v2 = f32x4.sub(b, d);
    v128.store(q + 8 * plane, u2);
    v128.store(q + 9 * plane, f32x4.add(u2, v2));
    v128.store(q + 10 * plane, f32x4.sub(u2, v2));
    v128.store(q + 11 * plane, f32x4.neg(v2));
    v128.store(q + 12 * plane, f32x4.neg(cc));
    v128.store(q + 13 * plane, f32x4.neg(f32x4.add(cc, d)));
    v128.store(q + 14 * plane, f32x4.sub(d, cc));
    v128.store(q + 15 * plane, d);
  }
  for (let c: usize = end; c < <usize>coutPad << 2; c += 16) {
    for (let p = 0; p < 16; p++) v128.store(o + c + <usize>p * plane, f32x4.splat(0));
  }
}

/** c[k][n] += sum over r of a[r][k] b[r][n]: k a multiple of 4, n of 8; 4 x 8 outputs per register tile. */
function gemmAccumulateTn(a: usize, b: usize, c: usize, rows: i32, k: i32, n: i32): void {
  const aRow = <usize>k << 2;
  const bRow = <usize>n << 2;
  for (let ci = 0; ci < k; ci += 4) {
    const c0 = c + <usize>ci * bRow;
    for (let co = 0; co < n; co += 8) {
      const o = c0 + (<usize>co << 2);
      let x00 = v128.load(o), x01 = v128.load(o, 16), x10 = v128.load(o + bRow), x11 = v128.load(o + bRow, 16);
      let x20 = v128.load(o + 2 * bRow), x21 = v128.load(o + 2 * bRow, 16), x30 = v128.load(o + 3 * bRow), x31 = v128.load(o + 3 * bRow, 16);
      let pa = a + (<usize>ci << 2);
      let pb = b + (<usize>co << 2);
      for (let r = 0; r < rows; r++) {
        const f0 = v128.load(pb);
        const f1 = v128.load(pb, 16);
        let s = v128.load32_splat(pa);
        x00 = f32x4.add(x00, f32x4.mul(s, f0));
        x01 = f32x4.add(x01, f32x4.mul(s, f1));
        s = v128.load32_splat(pa, 4);
        x10 = f32x4.add(x10, f32x4.mul(s, f0));
        x11 = f32x4.add(x11, f32x4.mul(s, f1));
        s = v128.load32_splat(pa, 8);
        x20 = f32x4.add(x20, f32x4.mul(s, f0));
        x21 = f32x4.add(x21, f32x4.mul(s, f1));
        s = v128.load32_splat(pa, 12);
        x30 = f32x4.add(x30, f32x4.mul(s, f0));
        x31 = f32x4.add(x31, f32x4.mul(s, f1));
        pa += aRow;
        pb += bRow;
      }
      v128.store(o, x00);
      v128.store(o, x01, 16);
      v128.store(o + bRow, x10);
      v128.store(o + bRow, x11, 16);
      v128.store(o + 2 * bRow, x20);
      v128.store(o + 2 * bRow, x21, 16);
      v128.store(o + 3 * bRow, x30);
      v128.store(o + 3 * bRow, x31, 16);
    }
  }
}

/**
 * dw ([3, 3, cin, cout], overwritten) = dL/dfilter of a 3x3 stride-1 undilated conv of
 * x [n, h, w, cin] with padding top / left, given dy [n, oh, ow, cout]. Scratch: du
 * 16*cin*coutPad floats, v and wb as winogradConv's v and m; `zero` max(cin, cout) zero floats.
 */
export function winogradFilterGrad(
  x: usize, dy: usize, dw: usize, zero: usize, du: usize, v: usize, wb: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32, coutPad: i32, top: i32, left: i32, tb: i32,
): void {
  const uPlane = <usize>(cin * coutPad) << 2;
  memory.fill(du, 0, 16 * uPlane);
  const tilesX = (ow + 1) >> 1;
  const perImage = ((oh + 1) >> 1) * tilesX;
  const total = n * perImage;
  const xImage = <usize>(h * w * cin) << 2;
  const yImage = <usize>(oh * ow * cout) << 2;
  const vPlane = planeBytes(tb, cin);
  const wPlane = planeBytes(tb, coutPad);
  for (let t0 = 0; t0 < total; t0 += tb) {
    const count = min(tb, total - t0);
    const rows = (count + 3) & ~3;
    for (let tl = 0; tl < rows; tl++) {
      if (tl >= count) {
        inputTile(zero, zero, v, tl, tb, -4, -4, h, w, cin);
        gradTile(zero, zero, wb, tl, tb, -4, -4, oh, ow, cout, coutPad);
        continue;
      }
      const t = t0 + tl;
      const b = t / perImage;
      const r = t - b * perImage;
      const ty = r / tilesX;
      const tx = r - ty * tilesX;
      inputTile(x + <usize>b * xImage, zero, v, tl, tb, 2 * ty - top, 2 * tx - left, h, w, cin);
      gradTile(dy + <usize>b * yImage, zero, wb, tl, tb, 2 * ty, 2 * tx, oh, ow, cout, coutPad);
    }
    for (let p = 0; p < 16; p++) {
      gemmAccumulateTn(v + <usize>p * vPlane, wb + <usize>p * wPlane, du + <usize>p * uPlane, rows, cin, coutPad);
    }
  }
  // dg = G^T dU G per (ci, co); G^T's rows are (1, 1/2, 1/2, 0), (0, 1/2, -1/2, 0), (0, 1/2, 1/2, 1).
  const tap = <usize>(cin * cout) << 2;
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < cout; co++) {
      const q = du + (<usize>(ci * coutPad + co) << 2);
      const o = dw + (<usize>(ci * cout + co) << 2);
      // t = G^T d: three rows of four, d's rows at p = 4r .. 4r + 3.
      for (let col = 0; col < 4; col++) {
        const d0 = load<f32>(q + <usize>col * uPlane);
        const d1 = load<f32>(q + <usize>(4 + col) * uPlane);
        const d2 = load<f32>(q + <usize>(8 + col) * uPlane);
        const d3 = load<f32>(q + <usize>(12 + col) * uPlane);
        // Written back in place into rows 0..2 (row 3 is no longer needed after this column).
        store<f32>(q + <usize>col * uPlane, d0 + 0.5 * (d1 + d2));
        store<f32>(q + <usize>(4 + col) * uPlane, 0.5 * (d1 - d2));
        store<f32>(q + <usize>(8 + col) * uPlane, 0.5 * (d1 + d2) + d3);
      }
      for (let i = 0; i < 3; i++) {
        const e0 = load<f32>(q + <usize>(4 * i) * uPlane);
        const e1 = load<f32>(q + <usize>(4 * i + 1) * uPlane);
        const e2 = load<f32>(q + <usize>(4 * i + 2) * uPlane);
        const e3 = load<f32>(q + <usize>(4 * i + 3) * uPlane);
        store<f32>(o + <usize>(3 * i) * tap, e0 + 0.5 * (e1 + e2));
        store<f32>(o + <usize>(3 * i + 1) * tap, 0.5 * (e1 - e2));
        store<f32>(o + <usize>(3 * i + 2) * tap, 0.5 * (e1 + e2) + e3);
      }
    }
  }
}
