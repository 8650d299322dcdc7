import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend';
import { ConfigError } from '../src/errors';
import { heapKernelsFor } from '../src/util/heap-kernels';
import { axisMagnitudes, tensorAxisMagnitudes } from '../src/util/magnitude';
import { createRng } from '../src/util/rng';

beforeAll(async () => {
  await initBackend('wasm');
});

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

const random = (shape: number[], seed: number): tf.Tensor => {
  const rng = createRng(seed);
  const size = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng() * 2 - 1), shape);
};

/** Sum over the other axes of |w|^p, index by index (float64). */
function oracle(values: Float32Array, shape: number[], axis: number, p: number): Float64Array {
  const out = new Float64Array(shape[axis]!);
  let stride = 1;
  for (let b = axis + 1; b < shape.length; b++) stride *= shape[b]!;
  values.forEach((v, i) => {
    const pos = Math.floor(i / stride) % shape[axis]!;
    out[pos] = out[pos]! + Math.abs(v) ** p;
  });
  return out;
}

describe('heap SIMD kernels (wasm backend)', () => {
  it('tensorAxisMagnitudes: the last axis bitwise as axisMagnitudes, every axis as the index-by-index oracle', () => {
    const probe = tf.zeros([2]);
    expect(heapKernelsFor(probe)).toBeDefined();
    probe.dispose();
    // cols 10: one 8-wide pass and a pair; cols 2: pairs only; cols 24: 8-wide only; rank 1 and 2.
    const shapes = [[3, 3, 6, 10], [7, 2], [2, 5, 24], [16]];
    shapes.forEach((shape, k) => {
      const t = random(shape, k + 1);
      const values = t.dataSync() as Float32Array;
      const axes = shape.map((_, a) => a);
      for (const p of [1, 2]) {
        const got = tensorAxisMagnitudes(t, axes, { p });
        const js = axisMagnitudes(values, shape, axes, { p });
        expect(Array.from(got[shape.length - 1]!)).toEqual(Array.from(js[shape.length - 1]!));
        axes.forEach((a) => {
          const want = oracle(values, shape, a, p);
          got[a]!.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-12 * want[i]!));
        });
      }
      t.dispose();
    });
  });

  it('takes the typed-array path for odd widths, masks and other norms (same values), and checks axes', () => {
    const t = random([4, 5], 7);
    const mask = tf.tensor([1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1], [4, 5]);
    const v = t.dataSync() as Float32Array;
    const m = mask.dataSync() as Float32Array;
    expect(tensorAxisMagnitudes(t, [0, 1], { p: 1 })).toEqual(axisMagnitudes(v, [4, 5], [0, 1], { p: 1 }));
    expect(tensorAxisMagnitudes(t, [0, 1], { p: 3 })).toEqual(axisMagnitudes(v, [4, 5], [0, 1], { p: 3 }));
    expect(tensorAxisMagnitudes(t, [1], { p: 2, mask })).toEqual(axisMagnitudes(v, [4, 5], [1], { p: 2, mask: m }));
    const even = random([3, 4], 8);
    expect(() => tensorAxisMagnitudes(even, [2])).toThrow(ConfigError);
    tf.dispose([t, mask, even]);
  });

  it('is not offered off the wasm backend (the cpu backend has no heap)', async () => {
    await initBackend('cpu');
    try {
      const t = random([2, 4], 3);
      expect(heapKernelsFor(t)).toBeUndefined();
      expect(tensorAxisMagnitudes(t, [0, 1])).toEqual(axisMagnitudes(t.dataSync(), [2, 4], [0, 1]));
      t.dispose();
    } finally {
      await initBackend('wasm');
    }
  });
});
