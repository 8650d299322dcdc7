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

  it('paramClusters sets the centroids of named params (a bias included) and rejects unknown names', () => {
    const m = tinyCnn(1);
    const before = tf.memory().numTensors;
    const { model: out, clusterings } = clusterWeights(m, { clusters: 8, paramClusters: { 'conv1/kernel': 2, 'fc1/bias': 3 } });
    expect(clusterings.get('conv1/kernel')!.centroids.length).toBe(2);
    expect(clusterings.get('fc2/kernel')!.centroids.length).toBe(8);
    expect(new Set(out.params.get('fc1/bias')!.value.dataSync()).size).toBeLessThanOrEqual(3);
    expect(clusterings.has('fc2/bias')).toBe(false);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => clusterWeights(m, { clusters: 8, paramClusters: { 'nope/kernel': 2 } })).toThrow(/nope\/kernel/);
    m.dispose();
  });
});

describe('centroid fine-tuning (core train() callback)', () => {
  it('keeps each kernel at k shared values plus its zeros while Adam moves the centroids, and lowers the training loss', async () => {
    const { GraphBuilder, Model, adam, crossEntropy, train } = await import('@bonsai/core');
    const { bandData } = await import('./helpers');
    const { centroidFineTuning } = await import('../src/index');
    const b = new GraphBuilder();
    const h = b.relu(b.dense(b.flatten(b.input([8, 8, 1], { name: 'x' })), { units: 16, name: 'fc1' }));
    const m = Model.create(b.build(b.dense(h, { units: 4, name: 'fc2' })), { seed: 3 });
    const data = bandData(128, 4, 8);
    await train(m, data, { epochs: 3, batchSize: 32, optimizer: adam({ lr: 1e-2 }) });
    const { model: clustered, clusterings } = clusterWeights(m, { clusters: 3 });
    const loss = (model: import('@bonsai/core').Model): number => tf.tidy(() => crossEntropy(model.forward(data.x), data.y).dataSync()[0]!);
    const before = loss(clustered);
    const tensors = tf.memory().numTensors;
    const optimizer = adam({ lr: 5e-3 });
    await train(clustered, data, { epochs: 3, batchSize: 32, optimizer, callbacks: [centroidFineTuning(clustered, clusterings)] });
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    const after = loss(clustered);
    console.log(`clustered (k = 3) training loss ${before.toFixed(4)} -> ${after.toFixed(4)} after 3 epochs of centroid fine-tuning`);
    expect(after).toBeLessThan(before);
    for (const [name, c] of clusterings) {
      const v = clustered.params.get(name)!.value.dataSync();
      const byCluster = new Map<number, Set<number>>();
      c.assignments.forEach((a, i) => {
        if (a < 0) expect(v[i]).toBe(0);
        else byCluster.set(a, (byCluster.get(a) ?? new Set()).add(v[i]!));
      });
      for (const values of byCluster.values()) expect(values.size).toBe(1);
      // The centroids moved.
      expect([...byCluster].some(([a, values]) => Math.abs([...values][0]! - c.centroids[a]!) > 1e-4)).toBe(true);
    }
    [m, clustered].forEach((t) => t.dispose());
    tf.dispose([data.x, data.y]);
  }, 60_000);
});
