import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { conv2d, fusedConv2d, setWinograd, type ConvOptions } from '../src/kernels/conv';
import { CONV_KERNEL, FILTER_GRAD_KERNEL, WINOGRAD_FILTER_GRAD_KERNEL, WINOGRAD_KERNEL, simdFilterGrad, simdWinogradConv2d, simdWinogradFilterGrad, winogradFits } from '../src/kernels/heap-conv';
import { rand, relErr, size } from './conv-test-data';

type Shape4 = [number, number, number, number];

/** simdWinogradConv2d's geometry for a 3x3 stride-1 conv (tfjs's padding rule). */
function geometryOf(xShape: Shape4, fShape: Shape4, pad: 'same' | 'valid') {
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, [1, 1], 1, pad);
  return {
    n: xShape[0], h: xShape[1], w: xShape[2], cin: xShape[3], kh: fShape[0], kw: fShape[1], sh: 1, sw: 1, dh: 1, dw: 1,
    oh: info.outHeight, ow: info.outWidth, top: info.padInfo.top, left: info.padInfo.left,
  };
}

/** Odd output sizes (half tiles at the right and bottom edges), cout not a multiple of 8, many tile blocks. */
const CASES: Array<{ name: string; x: Shape4; cout: number; pad: 'same' | 'valid' }> = [
  { name: 'same, 9x7 (odd: edge tiles), cin 24, cout 28', x: [2, 9, 7, 24], cout: 28, pad: 'same' },
  { name: 'same, 7x7 (odd: edge tiles), cin 8, cout 12', x: [2, 7, 7, 8], cout: 12, pad: 'same' },
  { name: 'valid, 11x8 -> 9x6, cin 12, cout 20', x: [1, 11, 8, 12], cout: 20, pad: 'valid' },
  { name: 'same, 20x20, cin 64, cout 64, batch 3 (300 tiles in blocks of 64, a partial last block)', x: [3, 20, 20, 64], cout: 64, pad: 'same' },
  { name: 'same, 1x1 image (every tap but the centre is padding), cin 16, cout 8', x: [4, 1, 1, 16], cout: 8, pad: 'same' },
];

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterEach(async () => {
  await tf.setBackend('wasm');
});

describe('Winograd F(2x2, 3x3) conv on the wasm heap', () => {
  for (const [i, c] of CASES.entries()) {
    for (const activation of ['linear', 'relu', 'relu6'] as const) {
      it(`${c.name}, bias + ${activation}: equals tfjs-core's fused conv2d`, () => {
        const fShape: Shape4 = [3, 3, c.x[3], c.cout];
        // Scaled so that relu6 clips some outputs and relu zeroes about half.
        const x = tf.tensor4d(rand(size(c.x), 10 + i).map((v) => 4 * v), c.x);
        const f = tf.tensor4d(rand(size(fShape), 20 + i), fShape);
        const bias = tf.tensor1d(rand(c.cout, 30 + i));
        const before = tf.memory().numTensors;
        const y = simdWinogradConv2d(x, f, geometryOf(c.x, fShape, c.pad), { bias, activation })!;
        expect(y).toBeDefined();
        expect(tf.memory().numTensors).toBe(before + 1);
        const ref = tf.fused.conv2d({ x, filter: f, strides: 1, pad: c.pad, bias, activation });
        expect(y.shape).toEqual(ref.shape);
        const r = ref.dataSync() as Float32Array;
        // Rounding error scales with the pre-activation sums (up to ~50 here), not with the clipped outputs.
        const linear = tf.tidy(() => tf.max(tf.abs(tf.conv2d(x, f, 1, c.pad))).dataSync()[0]!);
        const yv = y.dataSync() as Float32Array;
        let diff = 0;
        for (let j = 0; j < r.length; j++) diff = Math.max(diff, Math.abs(yv[j]! - r[j]!));
        expect(diff / Math.max(linear, 1)).toBeLessThan(1e-5);
        if (activation === 'relu6') expect(r.some((v) => v === 6)).toBe(true);
        tf.dispose([x, f, bias, y, ref]);
      });
    }
  }

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: the filter gradient equals the direct SIMD kernel's and the cpu backend's`, async () => {
      const fShape: Shape4 = [3, 3, c.x[3], c.cout];
      const g = geometryOf(c.x, fShape, c.pad);
      const x = tf.tensor4d(rand(size(c.x), 50 + i), c.x);
      const dyShape: Shape4 = [c.x[0], g.oh, g.ow, c.cout];
      const dy = tf.tensor4d(rand(size(dyShape), 60 + i), dyShape);
      const wino = simdWinogradFilterGrad(x, dy, g);
      if (c.x[3] + c.cout < 48) {
        // Too few channels: the direct kernel is faster, so it is refused.
        expect(wino).toBeUndefined();
        tf.dispose([x, dy]);
        return;
      }
      const direct = simdFilterGrad(x, dy, g)!;
      expect(wino!.shape).toEqual([3, 3, c.x[3], c.cout]);
      const w = wino!.dataSync() as Float32Array;
      expect(relErr(w, direct.dataSync() as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([x, dy, wino!, direct]);
      await tf.setBackend('cpu');
      const native = tf.tidy(() => {
        const xc = tf.tensor4d(rand(size(c.x), 50 + i), c.x);
        const dyc = tf.tensor4d(rand(size(dyShape), 60 + i), dyShape);
        const f = tf.zeros(fShape);
        return tf.grad((b: tf.Tensor) => tf.conv2d(xc, b as tf.Tensor4D, 1, c.pad))(f, dyc).dataSync() as Float32Array;
      });
      await tf.setBackend('wasm');
      expect(relErr(w, native)).toBeLessThan(1e-5);
    });
  }

  it('runs without a bias, and is refused where F(2x2, 3x3) does not fit or off the wasm backend', async () => {
    const x = tf.tensor4d(rand(2 * 6 * 6 * 8, 1), [2, 6, 6, 8]);
    const f = tf.tensor4d(rand(3 * 3 * 8 * 8, 2), [3, 3, 8, 8]);
    const g = geometryOf([2, 6, 6, 8], [3, 3, 8, 8], 'same');
    const y = simdWinogradConv2d(x, f, g)!;
    const ref = tf.conv2d(x, f, 1, 'same');
    expect(relErr(y.dataSync() as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-5);
    tf.dispose([y, ref]);
    expect(winogradFits(g, 8)).toBe(true);
    expect(winogradFits({ ...g, sh: 2, sw: 2 }, 8)).toBe(false);
    expect(winogradFits({ ...g, dh: 2 }, 8)).toBe(false);
    expect(winogradFits({ ...g, kh: 5, kw: 5 }, 8)).toBe(false);
    expect(winogradFits({ ...g, cin: 6 }, 8)).toBe(false);
    expect(winogradFits(g, 4)).toBe(false);
    expect(simdWinogradConv2d(x, f, g, { activation: 'sigmoid' })).toBeUndefined();
    expect(simdWinogradConv2d(x, f, g, { bias: tf.zeros([4]) as tf.Tensor1D })).toBeUndefined();
    await tf.setBackend('cpu');
    const xc = tf.ones([2, 6, 6, 8]) as tf.Tensor4D;
    const fc = tf.ones([3, 3, 8, 8]) as tf.Tensor4D;
    expect(simdWinogradConv2d(xc, fc, g)).toBeUndefined();
    tf.dispose([xc, fc]);
    await tf.setBackend('wasm');
    tf.dispose([x, f]);
  });

  it('fusedConv2d takes it for 3x3 stride 1 and tfjs-core\'s fused conv otherwise, with equal results', async () => {
    const x = tf.tensor4d(rand(2 * 9 * 9 * 16, 3), [2, 9, 9, 16]);
    const f3 = tf.tensor4d(rand(3 * 3 * 16 * 24, 4), [3, 3, 16, 24]);
    const bias = tf.tensor1d(rand(24, 5));
    const kernelsOf = async (fn: () => tf.Tensor) => {
      let out: Float32Array = new Float32Array(0);
      const info = await tf.profile(() => {
        const y = fn();
        out = y.dataSync() as Float32Array;
        y.dispose();
      });
      return { out, kernels: info.kernels.map((k) => k.name) };
    };
    const opts = { strides: [1, 1] as [number, number], pad: 'same' as const, bias, activation: 'relu' as const };
    const wino = await kernelsOf(() => fusedConv2d(x, f3, opts));
    expect(wino.kernels).toEqual([WINOGRAD_KERNEL]);
    const prev = setWinograd(false);
    const plain = await kernelsOf(() => fusedConv2d(x, f3, opts));
    setWinograd(prev);
    expect(plain.kernels).not.toContain(WINOGRAD_KERNEL);
    expect(relErr(wino.out, plain.out)).toBeLessThan(1e-5);
    const strided = await kernelsOf(() => fusedConv2d(x, f3, { ...opts, strides: [2, 2] }));
    expect(strided.kernels).not.toContain(WINOGRAD_KERNEL);
    tf.dispose([x, f3, bias]);
  });

  it('training: forward, input and filter gradients equal the direct SIMD kernels\', and nothing leaks', async () => {
    const xShape: Shape4 = [3, 10, 9, 16];
    const fShape: Shape4 = [3, 3, 16, 32];
    const o: ConvOptions = { strides: [1, 1], pad: 'same' };
    const x = tf.tensor4d(rand(size(xShape), 40), xShape);
    const f = tf.tensor4d(rand(size(fShape), 41), fShape);
    const run = async (winograd: boolean) => {
      const prev = setWinograd(winograd);
      let values: Float32Array[] = [];
      const info = await tf.profile(() => {
        const y = conv2d(x, f, o);
        const dy = tf.tensor(rand(y.size, 42), y.shape);
        const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, o))([x, f], dy);
        values = [y, dx!, df!].map((t) => t.dataSync() as Float32Array);
        tf.dispose([y, dy, dx!, df!]);
      });
      setWinograd(prev);
      return { values, kernels: info.kernels.map((k) => k.name) };
    };
    const before = tf.memory().numTensors;
    const wino = await run(true);
    const direct = await run(false);
    expect(tf.memory().numTensors).toBe(before);
    // The forward conv, the forward again inside tf.grads, and the input gradient's correlation;
    // the filter gradient (16 + 32 channels) too.
    expect(wino.kernels.filter((k) => k === WINOGRAD_KERNEL).length).toBe(3);
    expect(wino.kernels).toContain(WINOGRAD_FILTER_GRAD_KERNEL);
    expect(wino.kernels).not.toContain(FILTER_GRAD_KERNEL);
    expect(direct.kernels.filter((k) => k.startsWith('BonsaiConv2DWinograd'))).toEqual([]);
    expect(direct.kernels).toContain(CONV_KERNEL);
    expect(direct.kernels).toContain(FILTER_GRAD_KERNEL);
    for (let i = 0; i < 3; i++) expect(relErr(wino.values[i]!, direct.values[i]!)).toBeLessThan(1e-5);
    tf.dispose([x, f]);
  });
});
