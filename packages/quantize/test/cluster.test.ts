import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { centroidGradients, clusteredValues, clusterWeights, kmeans1d } from '../src/index';
import { tinyCnn, useWasm } from './helpers';

beforeAll(useWasm);

/** Seeded values: 40% exact zeros, the rest a mixture of three Gaussians-ish bumps. */
function sparseMixture(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => {
    if (rng() < 0.4) return 0;
    const centre = [-0.8, 0.1, 0.6][Math.floor(rng() * 3)]!;
    return centre + 0.05 * (rng() + rng() + rng() - 1.5);
  });
}

const sse = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
};

describe('weight clustering', () => {
  it('keeps zeros zero, uses at most k values, is seeded, and beats an equal-levels uniform grid in squared error', () => {
    const v = sparseMixture(4000, 1);
    const c = kmeans1d(v, { clusters: 4, seed: 3 });
    const q = clusteredValues(c);
    v.forEach((x, i) => {
      if (x === 0) expect(q[i]).toBe(0);
      else expect(c.assignments[i]).toBeGreaterThanOrEqual(0);
    });
    expect(new Set(q.filter((x) => x !== 0)).size).toBeLessThanOrEqual(4);
    expect(kmeans1d(v, { clusters: 4, seed: 3 }).centroids).toEqual(c.centroids);
    // A uniform grid of 4 levels over the nonzero range (zeros kept, as for the clustering).
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) if (x !== 0) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    const step = (hi - lo) / 3;
    const grid = Float32Array.from(v, (x) => (x === 0 ? 0 : lo + Math.round((x - lo) / step) * step));
    expect(sse(v, q)).toBeLessThan(sse(v, grid) / 4);
    // Lloyd's fixed point: each centroid is the mean of its members.
    for (let j = 0; j < c.centroids.length; j++) {
      const members = v.filter((_, i) => c.assignments[i] === j);
      expect(c.centroids[j]).toBeCloseTo(members.reduce((a, b) => a + b, 0) / members.length, 5);
    }
  });

  it('centroid gradients are per-cluster sums of the weight gradients (hand computation)', () => {
    const c = { centroids: Float32Array.from([-1, 2]), assignments: Int32Array.from([0, -1, 1, 1, 0]) };
    expect(Array.from(centroidGradients([0.5, 9, 1, 2, -0.25], c))).toEqual([0.25, 3]);
  });

  it('clusters every kernel of a model (others untouched), disposes what it makes, and rejects bad k', () => {
    const m = tinyCnn(1);
    const before = tf.memory().numTensors;
    const { model: out, clusterings } = clusterWeights(m, { clusters: 8, seed: 1 });
    expect([...clusterings.keys()].sort()).toEqual(['conv1/kernel', 'conv2/kernel', 'dw/kernel', 'fc1/kernel', 'fc2/kernel']);
    for (const name of clusterings.keys()) {
      const vals = out.params.get(name)!.value.dataSync();
      expect(new Set(vals).size).toBeLessThanOrEqual(9);
    }
    expect(out.params.get('fc1/bias')!.value.dataSync()).toEqual(m.params.get('fc1/bias')!.value.dataSync());
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => kmeans1d([1, 2], { clusters: 0 })).toThrow(ConfigError);
    m.dispose();
  });
});
