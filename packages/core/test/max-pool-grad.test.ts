import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index';
import { tiledMaxPoolGrad } from '../src/gradients/max-pool';
import { expectClose } from './helpers';

afterAll(() => initBackend('wasm'));

interface PoolCase {
  name: string;
  shape: [number, number, number, number];
  k: number;
  s: number;
  pad: 'valid' | 'same';
  tiled: boolean;
}

const cases: PoolCase[] = [
  { name: '2x2/2 valid', shape: [2, 4, 6, 3], k: 2, s: 2, pad: 'valid', tiled: true },
  { name: '2x2/2 valid, odd input (last row/column unused)', shape: [1, 5, 7, 2], k: 2, s: 2, pad: 'valid', tiled: true },
  { name: '2x2/2 same, even input', shape: [1, 4, 4, 2], k: 2, s: 2, pad: 'same', tiled: true },
  { name: '3x3/3 valid', shape: [1, 6, 9, 2], k: 3, s: 3, pad: 'valid', tiled: true },
  { name: '3x3/2 same (overlapping: MaxPoolGrad)', shape: [1, 5, 5, 2], k: 3, s: 2, pad: 'same', tiled: false },
];

/** Distinct values (no ties), negative and positive, in a scrambled order: all-negative windows included. */
function values(size: number): Float32Array {
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = ((i * 7919) % size) * 0.5 - size / 3;
  return v;
}

/** Distinct upstream gradients 1, 1.25, 1.5, ... */
const weights = (shape: number[]): tf.Tensor => tf.reshape(tf.add(tf.mul(tf.range(0, shape.reduce((a, b) => a * b, 1)), 0.25), 1), shape);

describe('max-pool gradient for tiling windows', () => {
  for (const c of cases) {
    it(`${c.name}: equals the cpu backend's MaxPoolGrad (all-negative windows included)`, async () => {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const attrs = { filterSize: [c.k, c.k], strides: [c.s, c.s], pad: c.pad, dimRoundingMode: null } as unknown as tf.NamedAttrMap;
      const run = (withKernel: boolean): Float32Array => tf.tidy(() => {
        const x = tf.tensor4d(values(size), c.shape);
        const y = tf.maxPool(x, c.k, c.s, c.pad);
        const dy = weights(y.shape);
        const dx = withKernel
          ? (tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, attrs) as tf.Tensor)
          : tiledMaxPoolGrad(dy, x, y, attrs);
        if (!withKernel && !c.tiled) {
          expect(dx).toBeUndefined();
          return new Float32Array(0);
        }
        expect(dx!.shape).toEqual(c.shape);
        return dx!.dataSync() as Float32Array;
      });
      await initBackend('cpu');
      const oracle = run(true);
      await initBackend('wasm');
      const before = tf.memory().numTensors;
      const ours = run(false);
      expect(tf.memory().numTensors).toBe(before);
      if (c.tiled) expectClose(ours, oracle, 0);
      // Through the registered gradient (tiled path or kernel fallback) on wasm.
      const g = tf.tidy(() => {
        const x = tf.tensor4d(values(size), c.shape);
        return tf.grad((t: tf.Tensor) => {
          const y = tf.maxPool(t as tf.Tensor4D, c.k, c.s, c.pad);
          return tf.sum(tf.mul(y, weights(y.shape)));
        })(x).dataSync();
      });
      if (c.tiled) expectClose(g, oracle, 0);
    });
  }

  it('splits a window\'s gradient evenly over tied maxima and gives none to the rest', () => {
    const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid', dimRoundingMode: null } as unknown as tf.NamedAttrMap;
    // Windows: [5,5,1,5] (three-way tie), [-1,-1,-1,-1] (all tied, negative), [0,2,2,1], [3,0,0,0].
    const x = tf.tensor4d([5, 5, -1, -1, 1, 5, -1, -1, 0, 2, 3, 0, 2, 1, 0, 0], [1, 4, 4, 1]);
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dy = tf.tensor4d([6, 8, 10, 12], [1, 2, 2, 1]);
    const dx = tiledMaxPoolGrad(dy, x, y, attrs)!;
    expectClose(dx.dataSync(), [2, 2, 2, 2, 0, 2, 2, 2, 0, 5, 12, 0, 5, 0, 0, 0], 1e-6);
    tf.dispose([x, y, dy, dx]);
  });
});
