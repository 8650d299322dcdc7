import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { conv2d, setSimdConv, setSimdFilterGrad, type ConvOptions } from '../src/kernels/conv';
import { CONV_KERNEL, FILTER_GRAD_KERNEL, WINOGRAD_FILTER_GRAD_KERNEL, WINOGRAD_KERNEL, simdConv2d, simdFilterGrad } from '../src/kernels/heap-conv';
import { rand, relErr, size } from './conv-test-data';

/** dL/dfilter of sum(conv2d(x, f) * dy) with the input gradient off, and the kernels that ran. */
async function filterGrad(xShape: number[], fShape: number[], o: ConvOptions, seed: number, simd: boolean): Promise<{ df: Float32Array; kernels: string[] }> {
  const prev = setSimdFilterGrad(simd);
  try {
    const x = tf.tensor4d(rand(size(xShape), seed), xShape as [number, number, number, number]);
    const f = tf.tensor4d(rand(size(fShape), seed + 1), fShape as [number, number, number, number]);
    const yShape = tf.tidy(() => conv2d(x, f, o).shape);
    const dy = tf.tensor(rand(size(yShape), seed + 2), yShape);
    const g = tf.grad((b: tf.Tensor) => conv2d(x, b as tf.Tensor4D, { ...o, inputGrad: false }));
    let df: Float32Array = new Float32Array(0);
    const info = await tf.profile(() => {
      const r = g(f, dy);
      df = r.dataSync() as Float32Array;
      r.dispose();
    });
    tf.dispose([x, f, dy]);
    return { df, kernels: info.kernels.map((k) => k.name) };
  } finally {
    setSimdFilterGrad(prev);
  }
}

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterEach(async () => {
  await tf.setBackend('wasm');
});

/** Odd geometries: channel counts not multiples of 4 / 8, strides, dilations, 'valid', batch 1. */
const CASES: Array<{ name: string; x: number[]; f: number[]; o: ConvOptions }> = [
  { name: 'k3 same s1 cin5 cout7 batch 1', x: [1, 9, 7, 5], f: [3, 3, 5, 7], o: { strides: [1, 1], pad: 'same' } },
  { name: 'k3 same s2 cin3 cout13', x: [2, 9, 8, 3], f: [3, 3, 3, 13], o: { strides: [2, 2], pad: 'same' } },
  { name: 'k3x2 valid strides [2,1] cin6 cout9', x: [3, 10, 9, 6], f: [3, 2, 6, 9], o: { strides: [2, 1], pad: 'valid' } },
  { name: 'dilation 2 same cin4 cout8', x: [2, 11, 11, 4], f: [3, 3, 4, 8], o: { strides: [1, 1], pad: 'same', dilations: [2, 2] } },
  { name: 'dilation [2,3] valid cin9 cout6', x: [1, 12, 13, 9], f: [3, 3, 9, 6], o: { strides: [1, 1], pad: 'valid', dilations: [2, 3] } },
  { name: '1x1 s2 valid cin17 cout5', x: [2, 8, 7, 17], f: [1, 1, 17, 5], o: { strides: [2, 2], pad: 'valid' } },
  { name: 'k5 same s3 cin2 cout3 (taps outside every row)', x: [2, 7, 7, 2], f: [5, 5, 2, 3], o: { strides: [3, 3], pad: 'same' } },
  { name: 'k3 same s1 cin1 cout16 (first conv of a net)', x: [4, 12, 12, 1], f: [3, 3, 1, 16], o: { strides: [1, 1], pad: 'same' } },
  { name: 'k3 same s1 cin16 cout32 batch 2', x: [2, 10, 10, 16], f: [3, 3, 16, 32], o: { strides: [1, 1], pad: 'same' } },
];

describe('SIMD conv2d filter gradient on the wasm heap', () => {
  for (const [i, c] of CASES.entries()) {
    const sd = 3 * i + 1;
    it(`${c.name}: equals the tfjs-op path on wasm and the cpu backend's native gradient`, async () => {
      const simd = await filterGrad(c.x, c.f, c.o, sd, true);
      const ops = await filterGrad(c.x, c.f, c.o, sd, false);
      // 3x3 stride-1 convs over >= 48 channels take the Winograd filter gradient (kernels-winograd.test.ts).
      expect(simd.kernels.some((k) => k === FILTER_GRAD_KERNEL || k === WINOGRAD_FILTER_GRAD_KERNEL)).toBe(true);
      expect(ops.kernels.filter((k) => k === FILTER_GRAD_KERNEL || k === WINOGRAD_FILTER_GRAD_KERNEL)).toEqual([]);
      expect(relErr(simd.df, ops.df)).toBeLessThan(1e-5);
      await tf.setBackend('cpu');
      const native = tf.tidy(() => {
        const x = tf.tensor4d(rand(size(c.x), sd), c.x as [number, number, number, number]);
        const f = tf.tensor4d(rand(size(c.f), sd + 1), c.f as [number, number, number, number]);
        // tfjs' cpu conv has no dilated gradient: the dilated cases compare to the op path only.
        if (c.o.dilations) return undefined;
        const y = tf.conv2d(x, f, c.o.strides, c.o.pad);
        const dy = tf.tensor(rand(size(y.shape), sd + 2), y.shape);
        return tf.grad((b: tf.Tensor) => tf.conv2d(x, b as tf.Tensor4D, c.o.strides, c.o.pad))(f, dy).dataSync() as Float32Array;
      });
      if (native) expect(relErr(simd.df, native)).toBeLessThan(1e-5);
    });
  }

  it('matches central finite differences of the loss (stride 2, same, cin 3, cout 5)', async () => {
    const o: ConvOptions = { strides: [2, 2], pad: 'same' };
    const xShape = [2, 7, 6, 3];
    const fShape = [3, 3, 3, 5];
    const { df, kernels } = await filterGrad(xShape, fShape, o, 77, true);
    expect(kernels).toContain(FILTER_GRAD_KERNEL);
    // loss(f) = sum(conv2d(x, f) * dy) is linear in f, so a central difference in float64 over
    // the cpu backend's forward conv is exact up to float32 rounding of the forward pass.
    await tf.setBackend('cpu');
    const x = tf.tensor4d(rand(size(xShape), 77), xShape as [number, number, number, number]);
    const fv = rand(size(fShape), 78);
    const yShape = tf.tidy(() => conv2d(x, tf.tensor4d(fv, fShape as [number, number, number, number]), o).shape);
    const dy = tf.tensor(rand(size(yShape), 79), yShape);
    const loss = (v: Float32Array): number => tf.tidy(() => tf.sum(tf.mul(tf.conv2d(x, tf.tensor4d(v, fShape as [number, number, number, number]), o.strides, o.pad), dy)).dataSync()[0]!);
    const eps = 0.5;
    for (const i of [0, 7, 23, 44, 67, 88, 111, 134]) {
      const plus = Float32Array.from(fv);
      const minus = Float32Array.from(fv);
      plus[i]! += eps;
      minus[i]! -= eps;
      expect(df[i]!).toBeCloseTo((loss(plus) - loss(minus)) / (2 * eps), 3);
    }
    tf.dispose([x, dy]);
  });

  it('leaves no tensors behind (gradient through a trainable conv, both paths)', async () => {
    const x = tf.tensor4d(rand(2 * 9 * 9 * 6, 5), [2, 9, 9, 6]);
    const f = tf.variable(tf.tensor4d(rand(3 * 3 * 6 * 10, 6), [3, 3, 6, 10]));
    for (const simd of [true, false]) {
      const prev = setSimdFilterGrad(simd);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(conv2d(x, f as unknown as tf.Tensor4D, { strides: [2, 2], pad: 'same' }))), [f]);
      expect(Object.keys(grads)).toHaveLength(1);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      setSimdFilterGrad(prev);
    }
    tf.dispose([x, f]);
  });

  it('is not used off the wasm backend (the cpu backend takes the tfjs-op path)', async () => {
    await tf.setBackend('cpu');
    const x = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
    const dy = tf.ones([1, 5, 5, 3]) as tf.Tensor4D;
    const g = { n: 1, h: 5, w: 5, cin: 2, oh: 5, ow: 5, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, top: 1, left: 1 };
    expect(simdFilterGrad(x, dy, g)).toBeUndefined();
    const { kernels } = await filterGrad([1, 6, 6, 2], [3, 3, 2, 3], { strides: [1, 1], pad: 'same' }, 9, true);
    expect(kernels).not.toContain(FILTER_GRAD_KERNEL);
    tf.dispose([x, dy]);
  });
});

/** conv2d(x, f) and dL/dx of sum(conv2d(x, f) * dy) on wasm, with the SIMD conv kernel on or off, and the kernels that ran. */
async function forwardAndInputGrad(xShape: number[], fShape: number[], o: ConvOptions, seed: number, simd: boolean): Promise<{ y: Float32Array; dx: Float32Array; kernels: string[] }> {
  const prev = setSimdConv(simd);
  try {
    const x = tf.tensor4d(rand(size(xShape), seed), xShape as [number, number, number, number]);
    const f = tf.tensor4d(rand(size(fShape), seed + 1), fShape as [number, number, number, number]);
    let y: Float32Array = new Float32Array(0);
    let dx: Float32Array = new Float32Array(0);
    const info = await tf.profile(() => {
      const out = conv2d(x, f, o);
      y = out.dataSync() as Float32Array;
      const dy = tf.tensor(rand(out.size, seed + 2), out.shape);
      const g = tf.grad((a: tf.Tensor) => conv2d(a as tf.Tensor4D, f, o))(x, dy);
      dx = g.dataSync() as Float32Array;
      tf.dispose([out, dy, g]);
    });
    tf.dispose([x, f]);
    return { y, dx, kernels: info.kernels.map((k) => k.name) };
  } finally {
    setSimdConv(prev);
  }
}

/** simdConv2d's geometry for tf.conv2d(x, f, o) (tfjs's padding rule). */
function geometryOf(xShape: number[], fShape: number[], o: ConvOptions) {
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], o.strides, o.dilations ?? 1, o.pad);
  return {
    n: xShape[0]!, h: xShape[1]!, w: xShape[2]!, cin: xShape[3]!, kh: fShape[0]!, kw: fShape[1]!, sh: o.strides[0], sw: o.strides[1],
    dh: o.dilations?.[0] ?? 1, dw: o.dilations?.[1] ?? 1, oh: info.outHeight, ow: info.outWidth, top: info.padInfo.top, left: info.padInfo.left,
  };
}

describe('SIMD conv2d forward (and the input gradient built on it) on the wasm heap', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: the kernel alone equals tf.conv2d (XNNPACK) bit for bit or within float tolerance`, () => {
      const x = tf.tensor4d(rand(size(c.x), 200 + i), c.x as [number, number, number, number]);
      const f = tf.tensor4d(rand(size(c.f), 300 + i), c.f as [number, number, number, number]);
      const before = tf.memory().numTensors;
      const y = simdConv2d(x, f, geometryOf(c.x, c.f, c.o))!;
      expect(tf.memory().numTensors).toBe(before + 1);
      const ref = tf.conv2d(x, f, c.o.strides, c.o.pad, 'NHWC', c.o.dilations ?? 1);
      expect(y.shape).toEqual(ref.shape);
      expect(relErr(y.dataSync() as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([x, f, y, ref]);
    });
  }

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: forward and input gradient equal XNNPACK's (tf.conv2d on wasm)`, async () => {
      const simd = await forwardAndInputGrad(c.x, c.f, c.o, 100 + i, true);
      const xnn = await forwardAndInputGrad(c.x, c.f, c.o, 100 + i, false);
      // conv.ts uses the kernels (direct or, for 3x3 stride 1, Winograd) for convs over >= 8
      // input channels: the forward pass reduces over cin, the input gradient's correlations over cout.
      const uses = (c.x[3]! >= 8 ? 1 : 0) + (c.f[3]! >= 8 ? 1 : 0);
      const heap = (k: string) => k === CONV_KERNEL || k === WINOGRAD_KERNEL;
      expect(simd.kernels.filter(heap).length).toBeGreaterThanOrEqual(uses);
      expect(xnn.kernels.filter(heap)).toEqual([]);
      expect(relErr(simd.y, xnn.y)).toBeLessThan(1e-5);
      expect(relErr(simd.dx, xnn.dx)).toBeLessThan(1e-5);
    });
  }

  it('leaves no tensors behind and is not used off the wasm backend', async () => {
    const x = tf.tensor4d(rand(2 * 7 * 7 * 3, 8), [2, 7, 7, 3]);
    const f = tf.tensor4d(rand(3 * 3 * 3 * 5, 9), [3, 3, 3, 5]);
    const before = tf.memory().numTensors;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, { strides: [2, 2], pad: 'same' })));
    tf.dispose(g([x, f]));
    expect(tf.memory().numTensors).toBe(before);
    const geometry = { n: 2, h: 7, w: 7, cin: 3, oh: 7, ow: 7, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, top: 1, left: 1 };
    const y = simdConv2d(x, f, geometry);
    expect(y?.shape).toEqual([2, 7, 7, 5]);
    y?.dispose();
    tf.dispose([x, f]);
    await tf.setBackend('cpu');
    const xc = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
    const fc = tf.ones([3, 3, 2, 3]) as tf.Tensor4D;
    expect(simdConv2d(xc, fc, { ...geometry, n: 1, h: 5, w: 5, cin: 2, oh: 5, ow: 5 })).toBeUndefined();
    tf.dispose([xc, fc]);
  });
});
