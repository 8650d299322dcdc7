import { describe, expect, it } from 'vitest';
import {
  addReference, conv2dReference, denseReference, depthwiseReference, loadInt8Kernels, maxPoolReference, relaxedSimdSupported, requantConstants,
  type Int8Kernels, type RequantOptions, type FusedActivation,
} from '@bonsai/int8-kernels';

/** Seeded xorshift stream in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const int8s = (r: () => number, n: number, lo = -128, hi = 127): Int8Array => Int8Array.from({ length: n }, () => int(r, lo, hi));

function requantOptions(r: () => number, channels: number, k: number): RequantOptions {
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

const variants = ['simd128', ...(relaxedSimdSupported() ? ['relaxed' as const] : [])] as const;

describe.each(variants)('int8 kernels (%s) are bit-exact to the integer reference', (variant) => {
  let kernels: Int8Kernels;
  const get = async (): Promise<Int8Kernels> => (kernels ??= await loadInt8Kernels({ variant }));

  it('runs the relaxed build when asked (the workers have the flag)', async () => {
    expect((await get()).variant).toBe(variant);
  });

  it('conv2d over random shapes, strides, dilations, paddings and channel counts', async () => {
    const k = await get();
    const r = rng(variant === 'simd128' ? 1 : 2);
    let outputs = 0;
    let clipped = 0;
    for (let t = 0; t < 60; t++) {
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
      const layer = k.conv2d({ ...opts, weights, weightShape: [kh, kw, cin, cout], kernel: [kh, kw], strides, dilation, padding });
      const got = layer.run({ data: x, shape: [n, h, w, cin] });
      const want = conv2dReference({ x, shape: [n, h, w, cin], zx: opts.input.zeroPoint }, weights, cout, { kernel: [kh, kw], strides, dilation, padding }, requantConstants(opts, cout));
      expect(got.shape).toEqual(layer.outputShape([n, h, w, cin]));
      expect(got.data.length).toBe(want.length);
      expect(Array.from(got.data), `case ${t}: k ${kh}x${kw} s ${strides} d ${dilation} ${padding} ${n}x${h}x${w}x${cin} -> ${cout}`).toEqual(Array.from(want));
      outputs += want.length;
      clipped += want.filter((v) => v === 127 || v === -128).length;
    }
    // The cases exercise the arithmetic, not only the clamp.
    expect(clipped / outputs).toBeLessThan(0.3);
  });

  it('1x1 convolutions (the direct GEMM path) and dense layers', async () => {
    const k = await get();
    const r = rng(variant === 'simd128' ? 3 : 4);
    for (let t = 0; t < 30; t++) {
      const cin = t % 2 === 0 ? 4 * int(r, 1, 12) : int(r, 1, 40);
      const cout = int(r, 1, 40);
      const [n, h, w] = [int(r, 1, 3), int(r, 1, 6), int(r, 1, 6)];
      const weights = int8s(r, cin * cout, -127, 127);
      const opts = requantOptions(r, cout, cin);
      const x = int8s(r, n * h * w * cin);
      const conv = k.conv2d({ ...opts, weights, weightShape: [1, 1, cin, cout], kernel: [1, 1] });
      const want = conv2dReference({ x, shape: [n, h, w, cin], zx: opts.input.zeroPoint }, weights, cout, { kernel: [1, 1] }, requantConstants(opts, cout));
      expect(Array.from(conv.run({ data: x, shape: [n, h, w, cin] }).data), `conv1x1 case ${t}`).toEqual(Array.from(want));
      const dense = k.dense({ ...opts, weights, weightShape: [cin, cout] });
      const dx = x.subarray(0, n * cin);
      const dwant = denseReference({ x: dx, shape: [n, cin], zx: opts.input.zeroPoint }, weights, cout, requantConstants(opts, cout));
      expect(Array.from(dense.run({ data: dx, shape: [n, cin] }).data), `dense case ${t}`).toEqual(Array.from(dwant));
    }
  });

  it('large layers, computed in cache-sized bands of rows (im2col and 1x1 chunks)', async () => {
    const k = await get();
    const r = rng(variant === 'simd128' ? 9 : 10);
    for (const [kh, cin, cout, h, strides] of [[3, 64, 12, 40, 1], [1, 256, 10, 20, 1], [3, 20, 9, 45, 2]] as const) {
      const weights = int8s(r, kh * kh * cin * cout, -127, 127);
      const opts = requantOptions(r, cout, kh * kh * cin);
      const x = int8s(r, 2 * h * h * cin);
      const window = { kernel: [kh, kh] as const, strides: [strides, strides] as const, padding: 'same' as const };
      const layer = k.conv2d({ ...opts, weights, weightShape: [kh, kh, cin, cout], ...window });
      const want = conv2dReference({ x, shape: [2, h, h, cin], zx: opts.input.zeroPoint }, weights, cout, window, requantConstants(opts, cout));
      expect(Array.from(layer.run({ data: x, shape: [2, h, h, cin] }).data), `${kh}x${kh} ${cin}->${cout} at ${h}x${h}`).toEqual(Array.from(want));
    }
  });

  it('depthwise conv2d over random shapes, strides and paddings', async () => {
    const k = await get();
    const r = rng(variant === 'simd128' ? 5 : 6);
    for (let t = 0; t < 40; t++) {
      const kh = int(r, 1, 5);
      const kw = int(r, 1, 5);
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
      const layer = k.depthwiseConv2d({ ...opts, weights, weightShape: [kh, kw, c, 1], kernel: [kh, kw], strides, dilation, padding });
      const want = depthwiseReference({ x, shape: [n, h, w, c], zx: opts.input.zeroPoint }, weights, { kernel: [kh, kw], strides, dilation, padding }, requantConstants(opts, c));
      expect(Array.from(layer.run({ data: x, shape: [n, h, w, c] }).data), `depthwise case ${t}`).toEqual(Array.from(want));
    }
  });
});

describe.each(variants)('int8 add and max pooling (%s)', (variant) => {
  it('add is bit-exact to the float32 simulation of dequantize-add-requantize', async () => {
    const k = await loadInt8Kernels({ variant });
    const r = rng(7);
    const f = Math.fround;
    for (let t = 0; t < 20; t++) {
      const n = int(r, 1, 300);
      const a = int8s(r, n);
      const b = int8s(r, n);
      const o = {
        a: { scale: f(0.01 + r() * 0.1), zeroPoint: int(r, -128, 127) },
        b: { scale: f(0.01 + r() * 0.1), zeroPoint: int(r, -128, 127) },
        output: { scale: f(0.02 + r() * 0.1), zeroPoint: int(r, -30, 30) },
        activation: (['none', 'relu', 'relu6'] as const)[t % 3]!,
      };
      const got = k.add(o).run({ data: a, shape: [n] }, { data: b, shape: [n] }).data;
      // Independent oracle: the simulated model's float32 steps, written out per element.
      const want = Int8Array.from({ length: n }, (_, i) => {
        let v = f(f((a[i]! - o.a.zeroPoint) * o.a.scale) + f((b[i]! - o.b.zeroPoint) * o.b.scale));
        if (o.activation !== 'none') v = Math.max(v, 0);
        if (o.activation === 'relu6') v = Math.min(v, 6);
        const q = f(v / o.output.scale);
        const rounded = Math.abs(q % 1) === 0.5 ? 2 * Math.round(q / 2) : Math.round(q);
        return Math.min(Math.max(rounded + o.output.zeroPoint, -128), 127);
      });
      expect(Array.from(got), `add case ${t}`).toEqual(Array.from(want));
      expect(Array.from(got)).toEqual(Array.from(addReference(a, b, o)));
    }
  });

  it('max pooling matches the reference over pool sizes, strides and paddings', async () => {
    const k = await loadInt8Kernels({ variant });
    const r = rng(8);
    for (let t = 0; t < 20; t++) {
      const kernel = [int(r, 1, 3), int(r, 1, 3)] as const;
      const strides = [int(r, 1, 3), int(r, 1, 3)] as const;
      const padding = t % 2 === 0 ? 'same' : 'valid';
      const shape = [int(r, 1, 2), int(r, 3, 9), int(r, 3, 9), int(r, 1, 40)];
      const x = int8s(r, shape.reduce((p, v) => p * v, 1));
      const got = k.maxPool({ kernel, strides, padding }).run({ data: x, shape });
      expect(Array.from(got.data), `pool case ${t}`).toEqual(Array.from(maxPoolReference(x, shape, { kernel, strides, padding })));
    }
  });
});
