import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend';
import { ConfigError } from '../src/errors';
import { heapKernelsFor } from '../src/util/heap-kernels';
import { axisMagnitudes, axisMagnitudeTensors, entryMagnitudes, smallestK, tensorAxisMagnitudes } from '../src/util/magnitude';
import { createRng } from '../src/util/rng';

beforeAll(async () => {
  await initBackend('wasm');
});

// A [2, 3, 2] tensor, row-major: w[i][j][k] = values[i*6 + j*2 + k].
const values = [1, -2, 3, -4, 5, -6, -7, 8, -9, 10, -11, 12];
const at = (i: number, j: number, k: number): number => values[i * 6 + j * 2 + k]!;

/** Sum over the other axes of |w|^p, by brute force over every index triple. */
function oracle(axis: number, p: number, mask?: number[]): number[] {
  const dims = [2, 3, 2];
  const out = new Array<number>(dims[axis]!).fill(0);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) {
    const m = mask ? mask[i * 6 + j * 2 + k]! : 1;
    const v = Math.abs(at(i, j, k) * m);
    const pos = [i, j, k][axis]!;
    out[pos] = p === Infinity ? Math.max(out[pos]!, v) : out[pos]! + v ** p;
  }
  return out;
}

describe('magnitude ranking', () => {
  it('axisMagnitudes matches a brute-force sum for every axis at once, for p 1, 2, 3 and Infinity', () => {
    for (const p of [1, 2, 3, Infinity]) {
      const got = axisMagnitudes(values, [2, 3, 2], [0, 1, 2], { p });
      for (const axis of [0, 1, 2]) {
        const want = oracle(axis, p);
        want.forEach((w, i) => expect(got[axis]![i]).toBeCloseTo(w, 9));
      }
    }
  });

  it('applies the mask and answers a repeated axis twice', () => {
    const mask = values.map((_, i) => (i % 3 === 0 ? 0 : 1));
    const [a, b] = axisMagnitudes(values, [2, 3, 2], [2, 2], { p: 1, mask });
    expect([...a!]).toEqual(oracle(2, 1, mask));
    expect([...b!]).toEqual(oracle(2, 1, mask));
    expect([...entryMagnitudes([-3, 2], { p: 2, mask: [1, 0] })]).toEqual([9, 0]);
  });

  it('smallestK is deterministic: lowest scores first, ties to the lower index, candidates respected', () => {
    expect([...smallestK([3, 1, 2, 1, 0], 3)]).toEqual([4, 1, 3]);
    expect([...smallestK([3, 1, 2, 1, 0], 2, Uint32Array.from([0, 2, 3]))]).toEqual([3, 2]);
    expect([...smallestK((i) => -i, 2, Uint32Array.from([5, 6, 7]))]).toEqual([7, 6]);
    expect(smallestK([1, 2], 0).length).toBe(0);
  });

  it('rejects a bad order, shape or axis with ConfigError', () => {
    expect(() => axisMagnitudes(values, [2, 3, 2], [0], { p: 0 })).toThrow(ConfigError);
    expect(() => axisMagnitudes(values, [2, 3], [0])).toThrow(ConfigError);
    expect(() => axisMagnitudes(values, [2, 3, 2], [3])).toThrow(ConfigError);
    expect(() => smallestK((i) => i, 1)).toThrow(ConfigError);
  });

  it('axisMagnitudeTensors (backend) equals the brute-force sums on every axis of a 4-D kernel, without leaking', () => {
    const before = tf.memory().numTensors;
    const shape = [3, 2, 5, 4];
    const data = Array.from({ length: 120 }, (_, i) => Math.sin(i * 1.7) * (i % 7 - 3));
    for (const p of [1, 2, 3, Infinity]) {
      const want = axisMagnitudes(data, shape, [0, 1, 2, 3], { p });
      const got = tf.tidy(() => axisMagnitudeTensors(tf.tensor(data, shape), [0, 1, 2, 3], { p }).map((t) => Array.from(t.dataSync())));
      got.forEach((g, a) => g.forEach((v, i) => expect(v).toBeCloseTo(want[a]![i]!, 3)));
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

const random = (shape: number[], seed: number): tf.Tensor => {
  const rng = createRng(seed);
  const size = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng() * 2 - 1), shape);
};

/** Sum over the other axes of |w|^p, index by index (float64). */
function axisOracle(values: Float32Array, shape: number[], axis: number, p: number): Float64Array {
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
  let before = 0;
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('tensorAxisMagnitudes: every axis within float32 rounding of the float64 index-by-index oracle', () => {
    const probe = tf.zeros([2]);
    expect(heapKernelsFor(probe)).toBeDefined();
    probe.dispose();
    // cols 20: one 16-wide pass and a quad; cols 4: quads only; cols 32: 16-wide only; rows 21 and
    // 9: a partial last block of 8 rows; 4608 rows: a ResNet-50 kernel's worth; rank 1 and 2.
    const shapes = [[3, 7, 20], [9, 4], [2, 5, 32], [16], [3, 3, 512, 8]];
    shapes.forEach((shape, k) => {
      const t = random(shape, k + 1);
      const values = t.dataSync() as Float32Array;
      const axes = shape.map((_, a) => a);
      for (const p of [1, 2]) {
        const got = tensorAxisMagnitudes(t, axes, { p });
        axes.forEach((a) => {
          const want = axisOracle(values, shape, a, p);
          expect(got[a]!.length).toBe(want.length);
          got[a]!.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-6 * want[i]!));
        });
        // Not the float64 sums bitwise: the kernel really added float32 lanes (else this test
        // would pass on the typed-array path).
        const js = axisMagnitudes(values, shape, axes, { p });
        if (shape.length === 4) expect(Array.from(got[3]!)).not.toEqual(Array.from(js[3]!));
      }
      t.dispose();
    });
  });

  it('tensorAxisMagnitudes keeps the ranking of well-separated sums (ResNet-style L1 scores)', () => {
    // 64 output channels whose L1 norms are 1%-apart: float32 lanes must not reorder them.
    const rows = 3 * 3 * 256;
    const cols = 64;
    const v = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[r * cols + c] = (1 + 0.01 * ((c * 37) % cols)) * (((r * 7 + c) % 13) / 13 - 0.5);
    const t = tf.tensor(v, [3, 3, 256, cols]);
    const [got] = tensorAxisMagnitudes(t, [3], { p: 1 });
    const [want] = axisMagnitudes(v, [3, 3, 256, cols], [3], { p: 1 });
    const order = (x: Float64Array) => Array.from(x.keys()).sort((a, b) => x[a]! - x[b]!);
    expect(order(got!)).toEqual(order(want!));
    t.dispose();
  });

  it('takes the typed-array path for widths not a multiple of 4, masks and other norms (same values), and checks axes', () => {
    const six = random([3, 6], 9);
    expect(tensorAxisMagnitudes(six, [0, 1], { p: 1 })).toEqual(axisMagnitudes(six.dataSync() as Float32Array, [3, 6], [0, 1], { p: 1 }));
    six.dispose();
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
});
