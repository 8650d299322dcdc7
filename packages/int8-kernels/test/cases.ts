/**
 * Seeded random layer cases with their reference outputs, shared by the Node tests and the
 * Chromium page (test/browser/entry.ts): each case builds a layer on any kernel factory, runs it
 * on its input and names itself for failure messages.
 */
import {
  conv2dReference, denseReference, depthwiseReference, requantConstants,
  type FusedActivation, type Int8Layer, type Int8LayerFactory, type Int8Tensor, type RequantOptions,
} from '../src/index';

/** Seeded xorshift stream in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
export const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const int8s = (r: () => number, n: number, lo = -128, hi = 127): Int8Array => Int8Array.from({ length: n }, () => int(r, lo, hi));

/** Random input / output grids, weight scales, biases and activation for a layer summing `k` products. */
export function requantOptions(r: () => number, channels: number, k: number): RequantOptions {
  const acts: FusedActivation[] = ['none', 'relu', 'relu6'];
  const sIn = 0.005 + r() * 0.05;
  return {
    input: { scale: sIn, zeroPoint: int(r, -128, 127) },
    // Output scale comparable to the accumulator's spread so that outputs use the whole range.
    output: { scale: sIn * 0.01 * Math.sqrt(k) * 64 * (0.5 + r()), zeroPoint: int(r, -20, 20) },
    weightScales: Float32Array.from({ length: channels }, () => 0.002 + r() * 0.02),
    bias: Float32Array.from({ length: channels }, () => (r() - 0.5) * 2),
    activation: acts[int(r, 0, 2)]!,
  };
}

/** One layer case: build it on a factory, run it on `x`, compare with `want`. */
export interface LayerCase {
  readonly label: string;
  readonly x: Int8Tensor;
  readonly want: Int8Array;
  build(k: Int8LayerFactory): Int8Layer;
}

/** conv2d cases over kernel sizes, strides, dilations, paddings, channel counts and batch sizes. */
export function conv2dCases(seed: number, count: number): LayerCase[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, t) => {
    const kh = int(r, 1, 4);
    const kw = int(r, 1, 4);
    const cin = int(r, 1, 21);
    const cout = int(r, 1, 27);
    const strides = [int(r, 1, 3), int(r, 1, 3)] as const;
    const dilation = t % 5 === 0 ? ([int(r, 1, 2), int(r, 1, 2)] as const) : ([1, 1] as const);
    const padding = r() < 0.5 ? 'same' : 'valid';
    const h = int(r, (kh - 1) * dilation[0] + 1, 12);
    const w = int(r, (kw - 1) * dilation[1] + 1, 12);
    const n = int(r, 1, 3);
    const weights = int8s(r, kh * kw * cin * cout, t % 7 === 0 ? -128 : -127, 127);
    const opts = requantOptions(r, cout, kh * kw * cin);
    const x = int8s(r, n * h * w * cin);
    const window = { kernel: [kh, kw] as const, strides, dilation, padding } as const;
    return {
      label: `conv2d case ${t}: k ${kh}x${kw} s ${strides} d ${dilation} ${padding} ${n}x${h}x${w}x${cin} -> ${cout}`,
      x: { data: x, shape: [n, h, w, cin] },
      want: conv2dReference({ x, shape: [n, h, w, cin], zx: opts.input.zeroPoint }, weights, cout, window, requantConstants(opts, cout)),
      build: (k) => k.conv2d({ ...opts, weights, weightShape: [kh, kw, cin, cout], ...window }),
    };
  });
}

/** Pairs of 1x1 conv2d (the direct GEMM path) and dense cases on the same weights. */
export function pointwiseCases(seed: number, count: number): LayerCase[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, t) => {
    const cin = t % 2 === 0 ? 4 * int(r, 1, 12) : int(r, 1, 40);
    const cout = int(r, 1, 40);
    const [n, h, w] = [int(r, 1, 3), int(r, 1, 6), int(r, 1, 6)];
    const weights = int8s(r, cin * cout, -127, 127);
    const opts = requantOptions(r, cout, cin);
    const x = int8s(r, n * h * w * cin);
    const rq = requantConstants(opts, cout);
    const dx = x.subarray(0, n * cin);
    return [
      {
        label: `conv1x1 case ${t}`,
        x: { data: x, shape: [n, h, w, cin] },
        want: conv2dReference({ x, shape: [n, h, w, cin], zx: opts.input.zeroPoint }, weights, cout, { kernel: [1, 1] }, rq),
        build: (k: Int8LayerFactory) => k.conv2d({ ...opts, weights, weightShape: [1, 1, cin, cout], kernel: [1, 1] }),
      },
      {
        label: `dense case ${t}`,
        x: { data: dx, shape: [n, cin] },
        want: denseReference({ x: dx, shape: [n, cin], zx: opts.input.zeroPoint }, weights, cout, rq),
        build: (k: Int8LayerFactory) => k.dense({ ...opts, weights, weightShape: [cin, cout] }),
      },
    ];
  }).flat();
}

/** Depthwise conv2d cases over kernel sizes, strides, dilations, paddings and channel counts. */
export function depthwiseCases(seed: number, count: number): LayerCase[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, t) => {
    // Every third case 3x3 (the kernel with its own interior loop).
    const kh = t % 3 === 1 ? 3 : int(r, 1, 5);
    const kw = t % 3 === 1 ? 3 : int(r, 1, 5);
    const c = int(r, 1, 35);
    const strides = [int(r, 1, 2), int(r, 1, 2)] as const;
    const dilation = t % 4 === 0 ? ([2, 2] as const) : ([1, 1] as const);
    const padding = r() < 0.5 ? 'same' : 'valid';
    const h = int(r, (kh - 1) * dilation[0] + 1, 11);
    const w = int(r, (kw - 1) * dilation[1] + 1, 11);
    const n = int(r, 1, 2);
    const weights = int8s(r, kh * kw * c, -128, 127);
    const opts = requantOptions(r, c, kh * kw);
    const x = int8s(r, n * h * w * c);
    const window = { kernel: [kh, kw] as const, strides, dilation, padding } as const;
    return {
      label: `depthwise case ${t}`,
      x: { data: x, shape: [n, h, w, c] },
      want: depthwiseReference({ x, shape: [n, h, w, c], zx: opts.input.zeroPoint }, weights, window, requantConstants(opts, c)),
      build: (k) => k.depthwiseConv2d({ ...opts, weights, weightShape: [kh, kw, c, 1], ...window }),
    };
  });
}
