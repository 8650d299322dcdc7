/**
 * Trainable 2-D convolutions on every tfjs backend, the wasm one included.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter and no DepthwiseConv2dNativeBackpropFilter /
 * BackpropInput kernels, so `tf.grad` through `tf.conv2d` / `tf.depthwiseConv2d` throws there.
 * The functions below run the native (XNNPACK) forward op and attach, through `tf.customGrad`,
 * gradients built only from kernels the wasm backend has (Conv2D, DepthwiseConv2dNative,
 * Transpose, Reverse, Slice, StridedSlice on small filters, Concat, Reshape, MatMul, Sum, Pad):
 *
 * - conv, input gradient: stride 1 -> one Conv2D of `dy` with the spatially flipped,
 *   in/out-swapped filter (explicit padding, dilation kept). Stride s > 1 -> polyphase: s*s
 *   small stride-1 convs of `dy`, one per output phase, each with the taps of that phase, then
 *   an interleave (concat + two rank-4 transposes + slice). No zero-inserted `dy`, so it costs
 *   about as much as the forward conv. (wasm's own Conv2DBackpropInput is a naive loop, ~10x
 *   slower than this.)
 *   1x1 kernels: one 1x1 conv of dy, scattered to every s-th pixel with a pad.
 * - On the wasm backend the forward conv, the input gradient's correlations (below) and the
 *   filter gradient run as direct WebAssembly SIMD loops on the backend's heap (./heap-conv.ts;
 *   the filter gradient 4-5x faster than the tfjs-op formulations below, the convs about
 *   1.1-1.3x XNNPACK's, any stride, dilation and padding; `setSimdConv` / `setSimdFilterGrad`
 *   switch them off).
 * - conv, filter gradient elsewhere (other backends, the threaded wasm build, or
 *   `setSimdFilterGrad(false)`), tfjs ops:
 *   cin <= 4 and stride 1 -> im2col + one MatMul (patches are built
 *   directly in [taps*cin, n*oh*ow] layout, so no big transpose). Otherwise one Conv2D that
 *   treats the channels as the batch: x -> [cin, h, w, n] convolved with dy -> [oh, ow, n, cout]
 *   (strides = forward dilation, dilations = forward stride) gives [cin, kh, kw, cout]; at
 *   stride 1 with cin < cout the roles swap (dy -> [cout, oh, ow, n] convolved with
 *   x -> [h, w, n, cin]), because XNNPACK repacks the conv's filter operand on every call and
 *   the smaller tensor should be that one. 1x1 kernels with stride s subsample x first.
 * - depthwise, input gradient: like conv, with DepthwiseConv2dNative on the flipped filter
 *   reshaped to [kh, kw, cin*m, 1], then a sum over the multiplier.
 * - depthwise, filter gradient: one DepthwiseConv2dNative per multiplier index, with the batch
 *   folded into the channels: x -> [1, h, w, n*cin] convolved with dy -> [oh, ow, n*cin, 1],
 *   then a sum over n.
 *
 * Grouped conv = split channels, conv per group, concat (split/concat have registered grads).
 * Everything inside runs in `tf.tidy`; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import { simdConv2d, simdFilterGrad, simdWinogradConv2d, simdWinogradFilterGrad, type FilterGradGeometry } from './heap-conv';

let useSimdFilterGrad = true;
let useSimdConv = true;
let useWinograd = true;

/**
 * Whether conv2d's filter gradient may use the SIMD heap kernel on the wasm backend (default
 * true); false forces the tfjs-op path everywhere (tests and benches compare the two). Returns
 * the previous setting.
 */
export function setSimdFilterGrad(on: boolean): boolean {
  const prev = useSimdFilterGrad;
  useSimdFilterGrad = on;
  return prev;
}

/**
 * Whether conv2d's forward pass and its input gradient's correlations may use the SIMD heap
 * kernel on the wasm backend (default true); false runs them with tf.conv2d (XNNPACK). Returns
 * the previous setting.
 */
export function setSimdConv(on: boolean): boolean {
  const prev = useSimdConv;
  useSimdConv = on;
  return prev;
}

/**
 * Whether 3x3 stride-1 convs (over >= 8 channels, multiples of 4) may run as Winograd F(2x2, 3x3)
 * in the SIMD heap kernels (default true): the forward pass and the input gradient while
 * {@link setSimdConv} is on, the filter gradient while {@link setSimdFilterGrad} is on; false runs
 * them as the direct SIMD loops. Returns the previous setting.
 */
export function setWinograd(on: boolean): boolean {
  const prev = useWinograd;
  useWinograd = on;
  return prev;
}

/** conv2d by the SIMD heap kernels (Winograd where it fits, else direct), or undefined off the wasm heap. */
function heapConv(x: tf.Tensor4D, f: tf.Tensor4D, g: Geometry): tf.Tensor4D | undefined {
  return (useWinograd ? simdWinogradConv2d(x, f, g) : undefined) ?? simdConv2d(x, f, g);
}

/**
 * Fewest input channels for which the SIMD conv kernel beats XNNPACK: its (i, j) tap loop costs
 * a few pointer computations per 4-pixel tile, which a reduction over 1-4 channels does not
 * amortize (the first conv of smallCnn, cin 1, ran ~2x slower than XNNPACK).
 */
const SIMD_CONV_MIN_CIN = 8;

/** Whether a conv reducing over `cin` input channels runs in the SIMD heap kernel. */
function simdConvFor(cin: number): boolean {
  return useSimdConv && cin >= SIMD_CONV_MIN_CIN;
}

/** conv2d(x, f) with explicit padding (stride `strides`, dilation `dil`): the SIMD heap kernel on wasm, else tf.conv2d. */
function convOp(x: tf.Tensor4D, f: tf.Tensor4D, strides: [number, number], pads: Pads4, dil: [number, number]): tf.Tensor4D {
  if (simdConvFor(x.shape[3])) {
    const [n, h, w, cin] = x.shape;
    const [kh, kw] = f.shape;
    const [top, bottom] = pads[1];
    const [left, right] = pads[2];
    const oh = Math.floor((h + top + bottom - (kh - 1) * dil[0] - 1) / strides[0]) + 1;
    const ow = Math.floor((w + left + right - (kw - 1) * dil[1] - 1) / strides[1]) + 1;
    const g: Geometry = { n, h, w, cin, kh, kw, sh: strides[0], sw: strides[1], dh: dil[0], dw: dil[1], oh, ow, top, left };
    const y = oh > 0 && ow > 0 ? heapConv(x, f, g) : undefined;
    if (y) return y;
  }
  return tf.conv2d(x, f, strides, pads, 'NHWC', dil);
}

export interface ConvOptions {
  strides: [number, number];
  pad: 'same' | 'valid';
  dilations?: [number, number];
  /**
   * Whether a gradient w.r.t. `x` may be asked for (default true). With false, `x` is a
   * constant of the custom gradient: backprop computes only the filter gradient (the first
   * conv of a network, whose input is data, needs no input gradient), and `x` gets none.
   */
  inputGrad?: boolean;
}

type Pads4 = [[number, number], [number, number], [number, number], [number, number]];

/** Geometry of one conv call, with tfjs's own padding rule ('same' puts the extra row bottom/right). */
type Geometry = FilterGradGeometry;

function pair(v: [number, number] | number | undefined, dflt: number, name: string): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((e) => Number.isInteger(e) && e >= 1)) {
    throw new ConfigError(`conv: ${name} must be positive integers, got ${JSON.stringify(v)}`, {}, { code: 'ATTR' });
  }
  return p;
}

function geometry(x: tf.Tensor4D, filter: tf.Tensor4D, opts: ConvOptions, depthwise: boolean): Geometry {
  if (x.rank !== 4 || filter.rank !== 4) {
    throw new ShapeError(`conv: x and filter must be rank 4 (NHWC, HWIO), got ${x.rank} and ${filter.rank}`);
  }
  if (opts.pad !== 'same' && opts.pad !== 'valid') {
    throw new ConfigError(`conv: pad must be 'same' or 'valid', got ${JSON.stringify(opts.pad)}`, {}, { code: 'ATTR' });
  }
  const [sh, sw] = pair(opts.strides, 1, 'strides');
  const [dh, dw] = pair(opts.dilations, 1, 'dilations');
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new ConfigError(`conv: strides ${sh}x${sw} and dilations ${dh}x${dw} cannot both be > 1 (tfjs forbids it)`, {}, { code: 'ATTR' });
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape, filter.shape, [sh, sw], [dh, dw], opts.pad, undefined, depthwise, 'channelsLast');
  if (info.outHeight <= 0 || info.outWidth <= 0) {
    throw new ShapeError(`conv: input ${x.shape} is smaller than the (dilated) filter ${filter.shape}`);
  }
  return {
    n: x.shape[0], h: x.shape[1], w: x.shape[2], cin: x.shape[3],
    kh: filter.shape[0], kw: filter.shape[1], sh, sw, dh, dw,
    oh: info.outHeight, ow: info.outWidth, top: info.padInfo.top, left: info.padInfo.left,
  };
}

const isUnit = (g: Geometry): boolean => g.sh === 1 && g.sw === 1;

/**
 * Pads (negative = crops) the spatial dims of an NHWC tensor and returns the explicit padding
 * that is left for the conv op: crops are applied here, pads are left to the conv (free in XNNPACK).
 */
function explicitPads(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): [tf.Tensor4D, Pads4] {
  let out = t;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = t.shape;
    const t0 = Math.max(0, -top);
    const l0 = Math.max(0, -left);
    out = tf.slice(t, [0, t0, l0, 0], [n, h - t0 - Math.max(0, -bottom), w - l0 - Math.max(0, -right), c]);
  }
  return [out, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]];
}

// ---------------------------------------------------------------------------------------------
// Input gradient (shared by conv and depthwise)

/**
 * A stride-1 correlation of `dy` with a (flipped) filter: `conv(dyPadded, kernel)` where the
 * kernel is identified by the taps it uses. Conv returns [n, *, *, cin].
 */
type TapConv = (dy: tf.Tensor4D, taps: { h0: number; hStep: number; w0: number; wStep: number }, pads: Pads4, dil: [number, number]) => tf.Tensor4D;

/** dL/dx for a conv with geometry `g`, given a per-phase stride-1 correlation `corr`. */
function inputGrad(dy: tf.Tensor4D, g: Geometry, cin: number, corr: TapConv): tf.Tensor4D {
  if (isUnit(g)) {
    // dx[i] = sum_k dy[i + top - k*d] f[k]: a correlation of dy with the flipped filter,
    // padded by (k-1)*d - top before and h - oh + top after.
    const effH = (g.kh - 1) * g.dh;
    const effW = (g.kw - 1) * g.dw;
    const [dyc, pads] = explicitPads(dy, effH - g.top, g.h - g.oh + g.top, effW - g.left, g.w - g.ow + g.left);
    return corr(dyc, { h0: 0, hStep: 1, w0: 0, wStep: 1 }, pads, [g.dh, g.dw]);
  }
  if (g.kh === 1 && g.kw === 1) {
    // 1x1, stride s (padding is 0): dx is dy.f^T scattered to every s-th pixel.
    const r = corr(dy, { h0: 0, hStep: 1, w0: 0, wStep: 1 }, [[0, 0], [0, 0], [0, 0], [0, 0]], [1, 1]);
    const spread = tf.pad(tf.reshape(r, [g.n * g.oh, 1, g.ow, cin]), [[0, 0], [0, g.sh - 1], [0, 0], [0, (g.sw - 1) * cin]]);
    const full = tf.reshape<tf.Rank.R4>(spread, [g.n, g.oh * g.sh, g.ow * g.sw, cin]);
    return tf.slice(full, [0, 0, 0, 0], [g.n, g.h, g.w, cin]);
  }
  // Polyphase (dilation is 1 here). In padded-input coordinates j = q*s + r:
  //   dxp[q*s + r] = sum_m dy[q - m] * f[r + s*m],  m = 0 .. ceil((k - r)/s) - 1,
  // a stride-1 correlation of dy (padded by M_r - 1 before) with the flipped taps r, r+s, ...
  const Qh = Math.ceil((g.top + g.h) / g.sh);
  const Qw = Math.ceil((g.left + g.w) / g.sw);
  const phases: tf.Tensor4D[] = [];
  for (let rh = 0; rh < g.sh; rh++) {
    const mh = rh < g.kh ? Math.ceil((g.kh - rh) / g.sh) : 0;
    for (let rw = 0; rw < g.sw; rw++) {
      const mw = rw < g.kw ? Math.ceil((g.kw - rw) / g.sw) : 0;
      if (mh === 0 || mw === 0) {
        phases.push(tf.zeros([g.n, Qh, Qw, cin]));
        continue;
      }
      const [dyc, pads] = explicitPads(dy, mh - 1, Qh - g.oh, mw - 1, Qw - g.ow);
      phases.push(corr(dyc, { h0: rh, hStep: g.sh, w0: rw, wStep: g.sw }, pads, [1, 1]));
    }
  }
  // Interleave [sh, sw, n, Qh, Qw, c] -> [n, Qh, sh, Qw, sw, c] with two rank-4 transposes
  // (wasm's rank-6 transpose is a slow generic loop; concat-based interleaving is slower too).
  const stacked = tf.reshape(phases.length === 1 ? phases[0]! : tf.concat(phases, 0), [g.sh, g.sw, g.n * Qh * Qw, cin]);
  const cols = tf.reshape(tf.transpose(stacked, [0, 2, 1, 3]), [g.sh, g.n, Qh, Qw * g.sw * cin]);
  const inter = tf.reshape<tf.Rank.R4>(tf.transpose(cols, [1, 2, 0, 3]), [g.n, Qh * g.sh, Qw * g.sw, cin]);
  return tf.slice(inter, [0, g.top, g.left, 0], [g.n, g.h, g.w, cin]);
}

/** The taps {h0, h0+hStep, ...} x {w0, ...} of a [kh, kw, a, b] filter, spatially flipped. */
function flippedTaps(f: tf.Tensor4D, taps: { h0: number; hStep: number; w0: number; wStep: number }): tf.Tensor4D {
  const [kh, kw, a, b] = f.shape;
  const sub = taps.hStep === 1 && taps.wStep === 1 && taps.h0 === 0 && taps.w0 === 0
    ? f
    : tf.stridedSlice(f, [taps.h0, taps.w0, 0, 0], [kh, kw, a, b], [taps.hStep, taps.wStep, 1, 1]) as tf.Tensor4D;
  return tf.reverse(sub, [0, 1]);
}

// ---------------------------------------------------------------------------------------------
// conv2d

/** Filter gradient by im2col + MatMul (stride 1): patches in [taps*cin, n*oh*ow] layout. */
function filterGradIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, cout: number): tf.Tensor4D {
  const effH = (g.kh - 1) * g.dh + (g.oh - 1) * g.sh + 1;
  const effW = (g.kw - 1) * g.dw + (g.ow - 1) * g.sw + 1;
  const [xc, pads] = explicitPads(x, g.top, effH - g.h - g.top, g.left, effW - g.w - g.left);
  const xp = pads[1][0] + pads[1][1] + pads[2][0] + pads[2][1] > 0 ? tf.pad(xc, pads) : xc;
  const xt = tf.transpose(xp, [3, 0, 1, 2]); // [cin, n, Hp, Wp]
  const rows = g.n * g.oh * g.ow;
  const cols: tf.Tensor[] = [];
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const h0 = i * g.dh;
      const w0 = j * g.dw;
      let tap: tf.Tensor;
      if (h0 === 0 && w0 === 0 && xt.shape[2] === g.oh && xt.shape[3] === g.ow) tap = xt;
      else tap = tf.slice(xt, [0, 0, h0, w0], [g.cin, g.n, g.oh, g.ow]);
      cols.push(tf.reshape(tap, [g.cin, rows]));
    }
  }
  const patches = cols.length === 1 ? cols[0]! : tf.concat(cols, 0); // [kh*kw*cin, rows]
  const df = tf.matMul(patches as tf.Tensor2D, tf.reshape(dy, [rows, cout]) as tf.Tensor2D);
  return tf.reshape(df, [g.kh, g.kw, g.cin, cout]);
}

/** x[:, ::sh, ::sw, :] cropped to [n, oh, ow, c], without StridedSlice (slow on wasm). */
function subsample(x: tf.Tensor4D, sh: number, sw: number, oh: number, ow: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const hq = Math.ceil(h / sh);
  const wq = Math.ceil(w / sw);
  const xp = hq * sh === h && wq * sw === w ? x : tf.pad(x, [[0, 0], [0, hq * sh - h], [0, wq * sw - w], [0, 0]]);
  const picked = tf.reshape<tf.Rank.R4>(tf.slice(tf.reshape(xp, [n * hq, sh, wq, sw * c]), [0, 0, 0, 0], [n * hq, 1, wq, c]), [n, hq, wq, c]);
  return hq === oh && wq === ow ? picked : tf.slice(picked, [0, 0, 0, 0], [n, oh, ow, c]);
}

/**
 * Filter gradient as one conv that treats the input channels as the batch and the batch as the
 * channels. XNNPACK packs the conv's "filter" operand on every call (a fresh tensor each step),
 * which costs about as much as the GEMM, so the smaller of x and dy plays the filter:
 * - x as input, dy as filter: [cin, h, w, n] * [oh, ow, n, cout] with strides = forward
 *   dilation and dilations = forward stride -> [cin, kh, kw, cout];
 * - dy as input, x as filter (stride 1 only): [cout, oh, ow, n] * [h, w, n, cin] with
 *   strides = forward dilation -> [cout, kh, kw, cin], spatially flipped.
 */
function filterGradChannelsAsBatch(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, cout: number): tf.Tensor4D {
  if (isUnit(g) && g.cin < cout) {
    // out[co, p, c] = sum_{t, n} dypad[co, p*d + t, n] * x[t, n, c], dy padded by (k-1)*d - top
    // before, so out[p] = dfilter[k - 1 - p].
    const dyt = tf.transpose(dy, [3, 1, 2, 0]); // [cout, oh, ow, n]
    const xt = tf.transpose(x, [1, 2, 0, 3]); // [h, w, n, cin]
    const effH = (g.kh - 1) * g.dh;
    const effW = (g.kw - 1) * g.dw;
    const [dyc, pads] = explicitPads(dyt, effH - g.top, g.h - g.oh + g.top, effW - g.left, g.w - g.ow + g.left);
    const r = tf.conv2d(dyc, xt, [g.dh, g.dw], pads, 'NHWC', 1); // [cout, kh, kw, cin]
    return tf.transpose(tf.reverse(r, [1, 2]), [1, 2, 3, 0]);
  }
  const xt = tf.transpose(x, [3, 1, 2, 0]); // [cin, h, w, n]
  const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, n, cout]
  const effH = (g.kh - 1) * g.dh + (g.oh - 1) * g.sh + 1;
  const effW = (g.kw - 1) * g.dw + (g.ow - 1) * g.sw + 1;
  const [xc, pads] = explicitPads(xt, g.top, effH - g.h - g.top, g.left, effW - g.w - g.left);
  // out[c, k, co] = sum_{o, n} xpad[c, k*d + o*s, n] * dy[o, n, co]: stride d, dilation s.
  const r = tf.conv2d(xc, dyt, [g.dh, g.dw], pads, 'NHWC', [g.sh, g.sw]); // [cin, kh, kw, cout]
  return tf.transpose(r, [1, 2, 0, 3]);
}

/** Filter gradient of a conv with geometry g: the SIMD heap kernel on wasm, else tfjs ops. */
function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, cout: number): tf.Tensor4D {
  if (!useSimdFilterGrad) return convFilterGradOps(x, dy, g, cout);
  return (useWinograd ? simdWinogradFilterGrad(x, dy, g) : undefined) ?? simdFilterGrad(x, dy, g) ?? convFilterGradOps(x, dy, g, cout);
}

/** Filter gradient of a conv with geometry g from tfjs ops (every backend). */
function convFilterGradOps(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, cout: number): tf.Tensor4D {
  if (g.kh === 1 && g.kw === 1) {
    // 1x1 (padding 0): subsample x, then it is a 1x1 stride-1 problem on [n, oh, ow, cin].
    const xs = subsample(x, g.sh, g.sw, g.oh, g.ow);
    const g1: Geometry = { ...g, h: g.oh, w: g.ow, sh: 1, sw: 1, dh: 1, dw: 1, top: 0, left: 0 };
    return filterGradChannelsAsBatch(xs, dy, g1, cout);
  }
  if (g.cin <= 4 && isUnit(g)) return filterGradIm2col(x, dy, g, cout);
  return filterGradChannelsAsBatch(x, dy, g, cout);
}

function conv2dSingle(x: tf.Tensor4D, filter: tf.Tensor4D, opts: ConvOptions): tf.Tensor4D {
  const g = geometry(x, filter, opts, false);
  if (filter.shape[2] !== g.cin) {
    throw new ShapeError(`conv2d: filter in-channels ${filter.shape[2]} != input channels ${g.cin}`);
  }
  const strides: [number, number] = [g.sh, g.sw];
  const dilations: [number, number] = [g.dh, g.dw];
  return withGrads(x, filter, opts.inputGrad ?? true, {
    forward: (xi, fi) => (simdConvFor(g.cin) ? heapConv(xi, fi, g) : undefined) ?? tf.conv2d(xi, fi, strides, opts.pad, 'NHWC', dilations),
    // Input gradient: correlate dy with the flipped filter, in/out channels swapped.
    inputGrad: (dy, fs) => inputGrad(dy, g, g.cin, (d, taps, pads, dil) =>
      convOp(d, tf.transpose(flippedTaps(fs, taps), [0, 1, 3, 2]), [1, 1], pads, dil)),
    filterGrad: (dy, xs, fs) => convFilterGrad(xs, dy, g, fs.shape[3]),
  });
}

/** The forward op and the two gradients of one (depthwise) conv, for {@link withGrads}. */
interface ConvGrads {
  forward(x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D;
  inputGrad(dy: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D;
  filterGrad(dy: tf.Tensor4D, x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D;
}

/**
 * Runs `c.forward(x, filter)` with `tf.customGrad` gradients. With `inputGrad` false, `x` is
 * closed over instead of being an input of the custom op: backprop then runs only `filterGrad`
 * (and `x` gets no gradient).
 */
function withGrads(x: tf.Tensor4D, filter: tf.Tensor4D, inputGrad: boolean, c: ConvGrads): tf.Tensor4D {
  if (!inputGrad) {
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [fi, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
      save([x, fi]);
      return {
        value: c.forward(x, fi),
        gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => tf.tidy(() => [c.filterGrad(dy, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D)]),
      };
    });
    return op(filter) as tf.Tensor4D;
  }
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, fi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, fi]);
    return {
      value: c.forward(xi, fi),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => tf.tidy(() => {
        const xs = saved[0] as tf.Tensor4D;
        const fs = saved[1] as tf.Tensor4D;
        return [c.inputGrad(dy, fs), c.filterGrad(dy, xs, fs)];
      }),
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/**
 * activation(conv2d(x, filter) + bias) for inference (no gradients): Winograd F(2x2, 3x3) on the
 * wasm heap where it fits (3x3, stride 1, relu / relu6 / linear), else tfjs-core's fused conv2d.
 */
export function fusedConv2d(
  x: tf.Tensor4D, filter: tf.Tensor4D, opts: ConvOptions & { bias?: tf.Tensor1D; activation: tf.fused.Activation },
): tf.Tensor4D {
  const g = geometry(x, filter, opts, false);
  const y = useSimdConv && useWinograd ? simdWinogradConv2d(x, filter, g, opts) : undefined;
  return y ?? tf.fused.conv2d({
    x, filter, strides: [g.sh, g.sw], pad: opts.pad, dilations: [g.dh, g.dw], ...(opts.bias ? { bias: opts.bias } : {}), activation: opts.activation,
  });
}

/**
 * NHWC conv with filter [kh, kw, cin/groups, cout]; differentiable w.r.t. x and filter on every
 * backend (wasm included). groups>1 = grouped conv.
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, opts: ConvOptions & { groups?: number }): tf.Tensor4D {
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new ConfigError(`conv2d: groups must be a positive integer, got ${String(opts.groups)}`, {}, { code: 'ATTR' });
  }
  const convOpts: ConvOptions = { strides: opts.strides, pad: opts.pad, ...(opts.dilations ? { dilations: opts.dilations } : {}), ...(opts.inputGrad === false ? { inputGrad: false } : {}) };
  if (groups === 1) return conv2dSingle(x, filter, convOpts);
  if (x.rank !== 4 || filter.rank !== 4) {
    throw new ShapeError(`conv2d: x and filter must be rank 4, got ${x.rank} and ${filter.rank}`);
  }
  const cin = x.shape[3];
  const cout = filter.shape[3];
  if (cin % groups !== 0 || cout % groups !== 0 || filter.shape[2] * groups !== cin) {
    throw new ShapeError(`conv2d: groups=${groups} needs cin (${cin}) and cout (${cout}) divisible by it and filter in-channels ${filter.shape[2]} = cin/groups`);
  }
  return tf.tidy(() => {
    const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const fs = tf.split(filter, groups, 3) as tf.Tensor4D[];
    return tf.concat(xs.map((xg, i) => conv2dSingle(xg, fs[i]!, convOpts)), 3);
  });
}

// ---------------------------------------------------------------------------------------------
// depthwiseConv2d

/** Filter gradient of a depthwise conv: per multiplier index, one depthwise conv over n*cin channels. */
function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry, mult: number): tf.Tensor4D {
  const { n, h, w, cin, oh, ow } = g;
  const xt = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * cin]);
  const effH = (g.kh - 1) * g.dh + (oh - 1) * g.sh + 1;
  const effW = (g.kw - 1) * g.dw + (ow - 1) * g.sw + 1;
  const [xc, pads] = explicitPads(xt as tf.Tensor4D, g.top, effH - h - g.top, g.left, effW - w - g.left);
  // dy [n, oh, ow, cin*m] -> [m, oh*ow, n, cin]
  const dyt = mult === 1
    ? tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [1, oh * ow, n, cin])
    : tf.transpose(tf.reshape(dy, [n, oh * ow, cin, mult]), [3, 1, 0, 2]);
  const per: tf.Tensor[] = [];
  for (let q = 0; q < mult; q++) {
    const dq = mult === 1 ? dyt : tf.slice(dyt, [q, 0, 0, 0], [1, oh * ow, n, cin]);
    const fq = tf.reshape(dq, [oh, ow, n * cin, 1]) as tf.Tensor4D;
    // out[k, (n,c)] = sum_o xpad[k*d + o*s, (n,c)] * dy[o, (n,c)]: stride d, dilation s.
    const r = tf.depthwiseConv2d(xc, fq, [g.dh, g.dw], pads, 'NHWC', [g.sh, g.sw]); // [1, kh, kw, n*cin]
    per.push(tf.sum(tf.reshape(r, [g.kh, g.kw, n, cin]), 2));
  }
  return (mult === 1 ? tf.reshape(per[0]!, [g.kh, g.kw, cin, 1]) : tf.stack(per, 3)) as tf.Tensor4D;
}

/** NHWC depthwise conv with filter [kh, kw, cin, multiplier]; differentiable on every backend. */
export function depthwiseConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, opts: ConvOptions): tf.Tensor4D {
  const g = geometry(x, filter, opts, true);
  if (filter.shape[2] !== g.cin) {
    throw new ShapeError(`depthwiseConv2d: filter in-channels ${filter.shape[2]} != input channels ${g.cin}`);
  }
  const strides: [number, number] = [g.sh, g.sw];
  const dilations: [number, number] = [g.dh, g.dw];
  const mult = filter.shape[3];
  const cm = g.cin * mult;
  return withGrads(x, filter, opts.inputGrad ?? true, {
    forward: (xi, fi) => tf.depthwiseConv2d(xi, fi, strides, opts.pad, 'NHWC', dilations),
    // Input gradient: depthwise-correlate dy (cin*m channels) with the flipped filter, then
    // sum each channel's m multiplier outputs.
    inputGrad: (dy, fs) => inputGrad(dy, g, g.cin, (d, taps, pads, dil) => {
      const sub = flippedTaps(fs, taps);
      const k = tf.reshape(sub, [sub.shape[0], sub.shape[1], cm, 1]) as tf.Tensor4D;
      const r = tf.depthwiseConv2d(d, k, 1, pads, 'NHWC', dil);
      if (mult === 1) return r;
      const [n, hh, ww] = r.shape;
      return tf.sum(tf.reshape(r, [n, hh, ww, g.cin, mult]), 4) as tf.Tensor4D;
    }),
    filterGrad: (dy, xs) => depthwiseFilterGrad(xs, dy, g, mult),
  });
}
