import { describe, expect, it } from 'vitest';
import { globalAvgPoolReference, loadInt8Kernels, relaxedSimdSupported, roundHalfEven, type Int8Tensor } from '@bonsai/int8-kernels';
import { int, int8s, requantOptions, rng } from './cases';

const variants = ['simd128', ...(relaxedSimdSupported() ? ['relaxed' as const] : [])] as const;

describe.each(variants)('resident activations, global average pooling and input quantization (%s)', (variant) => {
  it('a chain of layers on resident tensors gives what the copying runs give, and frees its memory', async () => {
    const k = await loadInt8Kernels({ variant });
    const r = rng(21);
    const [n, h, c0, c1] = [2, 9, 5, 12];
    const conv = k.conv2d({ ...requantOptions(r, c1, 9 * c0), weights: int8s(r, 9 * c0 * c1, -127, 127), weightShape: [3, 3, c0, c1], kernel: [3, 3], strides: [2, 2] });
    const dw = k.depthwiseConv2d({ ...requantOptions(r, c1, 9), weights: int8s(r, 9 * c1), weightShape: [3, 3, c1, 1], kernel: [3, 3] });
    const pool = k.maxPool({ kernel: [2, 2] });
    const gap = { input: { scale: 0.05, zeroPoint: 3 }, output: { scale: 0.03, zeroPoint: -7 } };
    const add = k.add({ a: gap.input, b: { scale: 0.04, zeroPoint: -2 }, output: { scale: 0.06, zeroPoint: 1 }, activation: 'relu' });
    const x: Int8Tensor = { data: int8s(r, n * h * h * c0), shape: [n, h, h, c0] };
    const a1 = conv.run(x);
    const a2 = dw.run(a1);
    const want = { pooled: pool.run(a2), summed: add.run(a2, a1), gap: k.globalAvgPool(gap).run(a2) };
    const before = k.memoryBytes;
    const got = k.resident(() => {
      const r1 = conv.runResident(x);
      const r2 = dw.runResident(r1);
      return { pooled: k.read(pool.runResident(r2)), summed: k.read(add.runResident(r2, r1)), gap: k.read(k.globalAvgPool(gap).runResident(r2)) };
    });
    expect(Array.from(got.pooled)).toEqual(Array.from(want.pooled.data));
    expect(Array.from(got.summed)).toEqual(Array.from(want.summed.data));
    expect(Array.from(got.gap)).toEqual(Array.from(want.gap.data));
    expect(k.memoryBytes).toBe(before);
    expect(() => conv.runResident(x)).toThrow(/outside kernels.resident/);
  });

  it('global average pooling is bit-exact to the reference (exact int32 sums, one requantization)', async () => {
    const k = await loadInt8Kernels({ variant });
    const r = rng(22);
    let distinct = 0;
    for (let t = 0; t < 12; t++) {
      const shape = [int(r, 1, 3), int(r, 1, 9), int(r, 1, 9), int(r, 1, 40)];
      const x = int8s(r, shape.reduce((a, b) => a * b, 1));
      const o = { input: { scale: 0.01 + r() * 0.1, zeroPoint: int(r, -128, 127) }, output: { scale: 0.005 + r() * 0.05, zeroPoint: int(r, -20, 20) } };
      const want = globalAvgPoolReference(x, shape, o);
      expect(Array.from(k.globalAvgPool(o).run({ data: x, shape }).data), `gap case ${t}`).toEqual(Array.from(want));
      distinct += new Set(want).size;
    }
    expect(distinct).toBeGreaterThan(100);
  });

  it('quantize rounds float32 inputs as fake quantization does (round half to even of f32(v / s), clamped)', async () => {
    const k = await loadInt8Kernels({ variant });
    const r = rng(23);
    const s = Math.fround(0.037);
    // Values on and next to .5 boundaries, out of range, and random.
    const values = Float32Array.from({ length: 203 }, (_, i) => (i < 40 ? Math.fround((i - 20 + 0.5) * s) : i < 50 ? (i - 45) * 100 : (r() - 0.5) * 12));
    const q = { scale: s, zeroPoint: -5, qmin: -128, qmax: 127 };
    const got = k.resident(() => k.read(k.quantize(values, [values.length], q)));
    const want = Array.from(values, (v) => Math.min(Math.max(roundHalfEven(Math.fround(v / s)) + q.zeroPoint, q.qmin), q.qmax));
    expect(Array.from(got)).toEqual(want);
  });
});

