import { describe, expect, it } from 'vitest';
import { addReference, conv2dReference, loadInt8Kernels, maxPoolReference, relaxedSimdSupported, requantConstants, type Int8Kernels } from '@bonsai/int8-kernels';
import { conv2dCases, depthwiseCases, int, int8s, pointwiseCases, requantOptions, rng } from './cases';

const variants = ['simd128', ...(relaxedSimdSupported() ? ['relaxed' as const] : [])] as const;

describe.each(variants)('int8 kernels (%s) are bit-exact to the integer reference', (variant) => {
  let kernels: Int8Kernels;
  const get = async (): Promise<Int8Kernels> => (kernels ??= await loadInt8Kernels({ variant }));

  it('runs the relaxed build when asked (the workers have the flag)', async () => {
    const k = await get();
    expect(k.variant).toBe(variant);
    // Node 20's V8 computes i32x4.relaxed_dot_i8x16_i7x16_add_s wrongly: the load-time probe sees it.
    expect(k.relaxedGemm).toBe(variant === 'relaxed' ? 'dot-i16' : undefined);
  });

  it('conv2d over random shapes, strides, dilations, paddings and channel counts', async () => {
    const k = await get();
    let outputs = 0;
    let clipped = 0;
    for (const c of conv2dCases(variant === 'simd128' ? 1 : 2, 45)) {
      const layer = c.build(k);
      const got = layer.run(c.x);
      expect(got.shape).toEqual(layer.outputShape(c.x.shape));
      expect(got.data.length).toBe(c.want.length);
      expect(Array.from(got.data), c.label).toEqual(Array.from(c.want));
      outputs += c.want.length;
      clipped += c.want.filter((v) => v === 127 || v === -128).length;
    }
    // The cases exercise the arithmetic, not only the clamp.
    expect(clipped / outputs).toBeLessThan(0.3);
  });

  it('1x1 convolutions (the direct GEMM path) and dense layers', async () => {
    const k = await get();
    for (const c of pointwiseCases(variant === 'simd128' ? 3 : 4, 30)) expect(Array.from(c.build(k).run(c.x).data), c.label).toEqual(Array.from(c.want));
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
    for (const c of depthwiseCases(variant === 'simd128' ? 5 : 6, 32)) expect(Array.from(c.build(k).run(c.x).data), c.label).toEqual(Array.from(c.want));
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
