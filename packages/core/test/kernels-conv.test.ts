import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { conv2d, depthwiseConv2d, type ConvOptions } from '../src/kernels/conv';
import { rand, relErr, size } from './conv-test-data';

interface Result { y: Float32Array; dx: Float32Array; df: Float32Array }

/** Forward value and gradients of sum(op(x, f) * dy) on the active backend. */
function run(
  op: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D,
  xShape: number[], fShape: number[], seed: number,
): Result {
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(size(xShape), seed), xShape as [number, number, number, number]);
    const f = tf.tensor4d(rand(size(fShape), seed + 1), fShape as [number, number, number, number]);
    const y = op(x, f);
    const dy = tf.tensor(rand(size(y.shape), seed + 2), y.shape);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), dy)))([x, f]);
    return { y: y.dataSync() as Float32Array, dx: dx!.dataSync() as Float32Array, df: df!.dataSync() as Float32Array };
  });
}

const TOL = 1e-4;
const maxErr = { y: 0, dx: 0, df: 0 };

/** Runs `ours` on wasm and `reference` (native tfjs ops and gradients) on cpu, compares all three. */
async function compare(
  ours: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D,
  reference: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D,
  xShape: number[], fShape: number[], seed: number,
): Promise<void> {
  await tf.setBackend('cpu');
  const ref = run(reference, xShape, fShape, seed);
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const got = run(ours, xShape, fShape, seed);
  expect(tf.memory().numTensors).toBe(before);
  const e = { y: relErr(got.y, ref.y), dx: relErr(got.dx, ref.dx), df: relErr(got.df, ref.df) };
  maxErr.y = Math.max(maxErr.y, e.y);
  maxErr.dx = Math.max(maxErr.dx, e.dx);
  maxErr.df = Math.max(maxErr.df, e.df);
  expect(e.y).toBeLessThan(TOL);
  expect(e.dx).toBeLessThan(TOL);
  expect(e.df).toBeLessThan(TOL);
}

/**
 * tfjs has no gradients for dilated convs, so the reference dilates the filter itself
 * (zeros between taps, built from pad/reshape/slice, which have gradients): a conv with the
 * dilated filter and dilation 1 is the dilated conv, 'same' padding included.
 */
function dilateFilter(f: tf.Tensor4D, d: [number, number] | undefined): tf.Tensor4D {
  if (!d || (d[0] === 1 && d[1] === 1)) return f;
  const [kh, kw, a, b] = f.shape;
  const six = tf.pad(tf.reshape(f, [kh, 1, kw, 1, a, b]), [[0, 0], [0, d[0] - 1], [0, 0], [0, d[1] - 1], [0, 0], [0, 0]]);
  const big = tf.reshape(six, [kh * d[0], kw * d[1], a, b]);
  return tf.slice(big as tf.Tensor4D, [0, 0, 0, 0], [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1, a, b]);
}

/** Native (grouped) conv on the reference backend: split, tf.conv2d, concat. */
function nativeGrouped(x: tf.Tensor4D, f: tf.Tensor4D, o: ConvOptions, groups: number): tf.Tensor4D {
  if (groups === 1) return tf.conv2d(x, dilateFilter(f, o.dilations), o.strides, o.pad);
  const xs = tf.split(x, groups, 3);
  const fs = tf.split(f, groups, 3);
  return tf.concat(xs.map((xg, i) => tf.conv2d(xg as tf.Tensor4D, dilateFilter(fs[i] as tf.Tensor4D, o.dilations), o.strides, o.pad)), 3);
}

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterAll(() => {
  console.log(`kernels/conv max relative errors vs cpu: forward ${maxErr.y.toExponential(2)}, dx ${maxErr.dx.toExponential(2)}, dfilter ${maxErr.df.toExponential(2)}`);
});

const STRIDES = [1, 2] as const;
const PADS = ['same', 'valid'] as const;
const SPATIAL: Array<[number, number]> = [[7, 1], [9, 3]]; // [h = w, batch]

describe('conv2d (groups = 1) matches cpu tf.conv2d and its gradients', () => {
  let seed = 1;
  for (const s of STRIDES) for (const pad of PADS) for (const k of [1, 3, 5]) for (const cin of [1, 3, 8]) for (const cout of [4, 16]) for (const [hw, n] of SPATIAL) {
    const o: ConvOptions = { strides: [s, s], pad };
    const sd = seed++;
    it(`s${s} ${pad} k${k} cin${cin} cout${cout} ${n}x${hw}x${hw}`, async () => {
      await compare((x, f) => conv2d(x, f, o), (x, f) => nativeGrouped(x, f, o, 1), [n, hw, hw, cin], [k, k, cin, cout], sd);
    });
  }
});

describe('conv2d extra geometries', () => {
  const cases: Array<{ name: string; x: number[]; f: number[]; o: ConvOptions }> = [
    { name: 'k7 same s1', x: [2, 9, 9, 3], f: [7, 7, 3, 4], o: { strides: [1, 1], pad: 'same' } },
    { name: 'k7 same s2 cin8', x: [2, 9, 9, 8], f: [7, 7, 8, 4], o: { strides: [2, 2], pad: 'same' } },
    { name: 'k7 valid s2', x: [1, 11, 11, 5], f: [7, 7, 5, 6], o: { strides: [2, 2], pad: 'valid' } },
    { name: 'rect input, rect kernel, strides [2,1]', x: [2, 9, 7, 6], f: [3, 5, 6, 4], o: { strides: [2, 1], pad: 'same' } },
    { name: 'rect kernel, strides [1,2] valid', x: [2, 8, 10, 3], f: [5, 3, 3, 4], o: { strides: [1, 2], pad: 'valid' } },
    { name: 'even size s2 same', x: [3, 8, 8, 8], f: [3, 3, 8, 16], o: { strides: [2, 2], pad: 'same' } },
    { name: 'even size s2 valid (unused last row)', x: [3, 8, 8, 8], f: [3, 3, 8, 16], o: { strides: [2, 2], pad: 'valid' } },
    { name: 'stride 3 same', x: [2, 10, 10, 4], f: [3, 3, 4, 8], o: { strides: [3, 3], pad: 'same' } },
    { name: 'stride 3 valid k5', x: [2, 11, 11, 6], f: [5, 5, 6, 8], o: { strides: [3, 3], pad: 'valid' } },
    { name: 'dilation 2 same', x: [2, 9, 9, 8], f: [3, 3, 8, 4], o: { strides: [1, 1], pad: 'same', dilations: [2, 2] } },
    { name: 'dilation 2 valid cin3', x: [2, 9, 9, 3], f: [3, 3, 3, 4], o: { strides: [1, 1], pad: 'valid', dilations: [2, 2] } },
    { name: 'dilation [2,3] same cin8', x: [1, 11, 12, 8], f: [3, 3, 8, 4], o: { strides: [1, 1], pad: 'same', dilations: [2, 3] } },
    { name: 'dilation [2,3] same cin8 cout16', x: [2, 11, 12, 8], f: [3, 3, 8, 16], o: { strides: [1, 1], pad: 'same', dilations: [2, 3] } },
    { name: 'dilation 2 valid k5 cin6 cout12', x: [2, 13, 12, 6], f: [5, 3, 6, 12], o: { strides: [1, 1], pad: 'valid', dilations: [2, 2] } },
    { name: '1x1 s2 even size', x: [3, 8, 8, 8], f: [1, 1, 8, 16], o: { strides: [2, 2], pad: 'same' } },
    { name: '1x1 s2 odd size valid', x: [3, 9, 7, 8], f: [1, 1, 8, 16], o: { strides: [2, 2], pad: 'valid' } },
    { name: '1x1 strides [1,3]', x: [2, 7, 10, 5], f: [1, 1, 5, 4], o: { strides: [1, 3], pad: 'same' } },
    { name: 'k2 s3 (phases without taps)', x: [2, 10, 10, 4], f: [2, 2, 4, 8], o: { strides: [3, 3], pad: 'same' } },
    { name: 'batch 64 s1', x: [64, 6, 6, 8], f: [3, 3, 8, 8], o: { strides: [1, 1], pad: 'same' } },
    { name: 'batch 64 s2 cin2', x: [64, 7, 7, 2], f: [3, 3, 2, 4], o: { strides: [2, 2], pad: 'same' } },
  ];
  let seed = 500;
  for (const c of cases) {
    const sd = seed++;
    it(c.name, async () => {
      await compare((x, f) => conv2d(x, f, c.o), (x, f) => nativeGrouped(x, f, c.o, 1), c.x, c.f, sd);
    });
  }
});

describe('grouped conv2d matches split + cpu tf.conv2d + concat', () => {
  let seed = 1000;
  for (const groups of [2, 4]) for (const s of STRIDES) for (const pad of PADS) for (const k of [1, 3]) for (const cout of [4, 16]) for (const [hw, n] of SPATIAL) {
    const o: ConvOptions = { strides: [s, s], pad };
    const cin = 8;
    const sd = seed++;
    it(`g${groups} s${s} ${pad} k${k} cin${cin} cout${cout} ${n}x${hw}x${hw}`, async () => {
      await compare((x, f) => conv2d(x, f, { ...o, groups }), (x, f) => nativeGrouped(x, f, o, groups), [n, hw, hw, cin], [k, k, cin / groups, cout], sd);
    });
  }
});

describe('depthwiseConv2d matches cpu tf.depthwiseConv2d and its gradients', () => {
  let seed = 2000;
  for (const m of [1, 2]) for (const s of STRIDES) for (const pad of PADS) for (const k of [1, 3, 5]) for (const cin of [1, 3, 8]) for (const [hw, n] of SPATIAL) {
    const o: ConvOptions = { strides: [s, s], pad };
    const sd = seed++;
    it(`m${m} s${s} ${pad} k${k} cin${cin} ${n}x${hw}x${hw}`, async () => {
      await compare((x, f) => depthwiseConv2d(x, f, o), (x, f) => tf.depthwiseConv2d(x, f, o.strides, o.pad), [n, hw, hw, cin], [k, k, cin, m], sd);
    });
  }
  const extra: Array<{ name: string; x: number[]; f: number[]; o: ConvOptions }> = [
    { name: 'k7 s2 same m2', x: [2, 9, 9, 4], f: [7, 7, 4, 2], o: { strides: [2, 2], pad: 'same' } },
    { name: 'rect, strides [2,1]', x: [2, 9, 7, 6], f: [3, 5, 6, 1], o: { strides: [2, 1], pad: 'same' } },
    { name: 'even size s2 valid', x: [3, 8, 8, 8], f: [3, 3, 8, 1], o: { strides: [2, 2], pad: 'valid' } },
    { name: 'dilation 2 same', x: [2, 9, 9, 8], f: [3, 3, 8, 1], o: { strides: [1, 1], pad: 'same', dilations: [2, 2] } },
    { name: 'dilation 2 valid m2', x: [2, 9, 9, 3], f: [3, 3, 3, 2], o: { strides: [1, 1], pad: 'valid', dilations: [2, 2] } },
    { name: 'batch 64 s2', x: [64, 7, 7, 8], f: [3, 3, 8, 1], o: { strides: [2, 2], pad: 'same' } },
  ];
  for (const c of extra) {
    const sd = seed++;
    it(c.name, async () => {
      await compare((x, f) => depthwiseConv2d(x, f, c.o), (x, f) => tf.depthwiseConv2d(x, dilateFilter(f, c.o.dilations), c.o.strides, c.o.pad), c.x, c.f, sd);
    });
  }
});

describe('no leaks, errors', () => {
  it('leaves numTensors unchanged after tidy-wrapped grads (every gradient path)', () => {
    const x = tf.tensor(rand(2 * 9 * 9 * 8, 7), [2, 9, 9, 8]) as tf.Tensor4D;
    const x2 = tf.tensor(rand(2 * 9 * 9 * 2, 8), [2, 9, 9, 2]) as tf.Tensor4D;
    const f = tf.tensor(rand(3 * 3 * 8 * 8, 9), [3, 3, 8, 8]) as tf.Tensor4D;
    const f2 = tf.tensor(rand(3 * 3 * 2 * 4, 10), [3, 3, 2, 4]) as tf.Tensor4D;
    const fg = tf.tensor(rand(3 * 3 * 2 * 8, 11), [3, 3, 2, 8]) as tf.Tensor4D;
    const fd = tf.tensor(rand(3 * 3 * 8 * 2, 12), [3, 3, 8, 2]) as tf.Tensor4D;
    const calls: Array<[tf.Tensor4D, tf.Tensor4D, (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D]> = [];
    for (const s of [1, 2]) {
      const o: ConvOptions = { strides: [s, s], pad: 'same' };
      calls.push([x, f, (a, b) => conv2d(a, b, o)]);
      calls.push([x2, f2, (a, b) => conv2d(a, b, o)]);
      calls.push([x, fg, (a, b) => conv2d(a, b, { ...o, groups: 4 })]);
      calls.push([x, fd, (a, b) => depthwiseConv2d(a, b, o)]);
    }
    calls.push([x, f, (a, b) => conv2d(a, b, { strides: [1, 1], pad: 'valid', dilations: [2, 2] })]);
    for (const [a, b, op] of calls) {
      const before = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;
      tf.tidy(() => {
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(op(p as tf.Tensor4D, q as tf.Tensor4D)))([a, b]);
        expect(ga!.shape).toEqual(a.shape);
        expect(gb!.shape).toEqual(b.shape);
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.memory().numBytes).toBe(bytes);
      // forward only, outside any gradient context, inside tidy
      tf.tidy(() => { op(a, b).dataSync(); });
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([x, x2, f, f2, fg, fd]);
  });

  it('works with tf.variableGrads on variables (training style)', () => {
    const x = tf.tensor(rand(4 * 8 * 8 * 3, 21), [4, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.variable(tf.tensor(rand(3 * 3 * 3 * 8, 22), [3, 3, 3, 8]));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(conv2d(x, w as unknown as tf.Tensor4D, { strides: [2, 2], pad: 'same' }))));
    expect(Object.keys(grads)).toEqual([w.name]);
    expect(grads[w.name]!.shape).toEqual([3, 3, 3, 8]);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });

  it('rejects bad shapes and attributes', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 5, 5, 6]) as tf.Tensor4D;
      const f = (shape: [number, number, number, number]): tf.Tensor4D => tf.zeros(shape);
      expect(() => conv2d(x, f([3, 3, 4, 4]), { strides: [1, 1], pad: 'same' })).toThrow(/in-channels/);
      expect(() => conv2d(x, f([3, 3, 3, 4]), { strides: [1, 1], pad: 'same', groups: 4 })).toThrow(/groups/);
      expect(() => conv2d(x, f([3, 3, 6, 4]), { strides: [2, 2], pad: 'same', dilations: [2, 2] })).toThrow(/dilations/);
      expect(() => conv2d(x, f([3, 3, 6, 4]), { strides: [0, 1], pad: 'same' })).toThrow(/strides/);
      expect(() => depthwiseConv2d(x, f([7, 7, 6, 1]), { strides: [1, 1], pad: 'valid' })).toThrow(/smaller/);
    });
  });
});
