import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adam, type Batch, type BonsaiError, type Callback, ConfigError, initBackend, ShapeError, train } from '@bonsai/core';
import { averageShards, trainParallel } from '../src/index';
import { accumulationOracle, syntheticData, tinyBnNet, tinyConvNet, weightsOf } from './helpers';

let data: { x: tf.Tensor; y: tf.Tensor };
beforeAll(async () => {
  await initBackend('wasm');
  // 40 rows in batches of 15: 15, 15, 10. 3 workers split 15 as 5, 5, 5 (equal: sum / 3) and 10 as 3, 3, 4
  // (unequal: weighted sum / 10); divisors that are not powers of two, so rounding differences show.
  data = syntheticData(40);
});
afterAll(() => tf.dispose([data.x, data.y]));

const OPTIONS = { batchSize: 15, epochs: 2, seed: 3 };

describe('averageShards', () => {
  it('rounds like float32 tfjs ops: equal shards sum then divide, unequal ones weight by rows', () => {
    const g = Float32Array.from([0.1, -0.0, 0.3, 0.7, -0.0, 0.25]);
    // Hand computation in float32: (0.1 + 0.7) / 2, (-0 + -0) / 2 = -0, (0.3 + 0.25) / 2.
    const f = Math.fround;
    expect(Array.from(averageShards(g, 3, [4, 4]))).toEqual([f(f(f(0.1) + f(0.7)) / 2), -0, f(f(f(0.3) + 0.25) / 2)]);
    // Unequal: (1 * g0 + 3 * g1) / 4; a worker with no rows is skipped; one shard is passed through.
    expect(Array.from(averageShards(g, 3, [1, 3]))).toEqual([0, 1, 2].map((i) => f(f(f(g[i]!) + f(g[i + 3]! * 3)) / 4)));
    expect(Array.from(averageShards(g, 3, [0, 5]))).toEqual(Array.from(g.subarray(3)));
  });
});

describe('trainParallel', () => {
  it('equals single-thread gradient accumulation over the same shards bit for bit (3 workers: unequal shards), without main-thread leaks', async () => {
    for (const workers of [3]) {
      const model = tinyConvNet();
      const oracle = model.clone();
      const optimizer = adam({ lr: 0.01 });
      const before = tf.memory().numTensors;
      const history = await trainParallel(model, data, { ...OPTIONS, workers, optimizer });
      // The caller's optimizer keeps its state (Adam: m and v per trainable param, as arrays, not tensors); nothing stays.
      expect(tf.memory().numTensors).toBe(before);
      expect(history.steps).toBe(6);
      const oracleOptimizer = adam({ lr: 0.01 });
      accumulationOracle(oracle, data, { ...OPTIONS, shards: workers, optimizer: oracleOptimizer });
      const got = weightsOf(model);
      const want = weightsOf(oracle);
      for (const name of Object.keys(want)) expect(Array.from(got[name]!), `${workers} workers, ${name}`).toEqual(Array.from(want[name]!));
      // Training moved the weights (the comparison is not of two untouched copies).
      expect(Array.from(got['fc/kernel']!)).not.toEqual(Array.from(weightsOf(tinyConvNet())['fc/kernel']!));
      [model, oracle].forEach((m) => m.dispose());
      [optimizer, oracleOptimizer].forEach((o) => o.dispose());
    }
  });

  it('matches plain single-thread train() with a schedule and an onAfterBackward callback: identical with 1 worker, within float tolerance with 2', async () => {
    const plain = tinyConvNet();
    const one = plain.clone();
    const two = plain.clone();
    // The same schedule and gradient callback (halving every gradient) in all three runs: trainParallel runs them on the main thread.
    const halve: Callback = { onAfterBackward: (grads) => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, 0.5)])) };
    const same = { ...OPTIONS, lrSchedule: (step: number) => 0.02 / (1 + step), callbacks: [halve] };
    const plainHistory = await train(plain, data, { ...same, optimizer: adam({ lr: 0.01 }) });
    const oneHistory = await trainParallel(one, data, { ...same, workers: 1, optimizer: adam({ lr: 0.01 }) });
    const twoHistory = await trainParallel(two, data, { ...same, workers: 2, optimizer: adam({ lr: 0.01 }) });
    expect(oneHistory.epochLosses).toEqual(plainHistory.epochLosses);
    const want = weightsOf(plain);
    const [w1, w2] = [weightsOf(one), weightsOf(two)];
    let maxDiff = 0;
    for (const name of Object.keys(want)) {
      expect(Array.from(w1[name]!)).toEqual(Array.from(want[name]!));
      want[name]!.forEach((v, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - w2[name]![i]!));
      });
    }
    // Mean of shard means vs one mean over the batch: float32 sums in another order (~1e-7 relative
    // in a gradient), which Adam's g / sqrt(v) can grow to ~1e-6 in 6 steps of lr <= 0.02.
    expect(maxDiff).toBeLessThan(1e-4);
    for (const [i, l] of twoHistory.epochLosses.entries()) expect(l).toBeCloseTo(plainHistory.epochLosses[i]!, 5);
    [plain, one, two].forEach((m) => m.dispose());
  });

  it('batch norm: per-shard batch statistics, running statistics from worker 0 (bit-exact against the oracle)', async () => {
    const model = tinyBnNet();
    const oracle = model.clone();
    const plain = model.clone();
    const o = { batchSize: 16, epochs: 1, seed: 3 };
    await trainParallel(model, data, { ...o, workers: 2, optimizer: adam({ lr: 0.01 }) });
    accumulationOracle(oracle, data, { ...o, shards: 2, optimizer: adam({ lr: 0.01 }) });
    const [got, want] = [weightsOf(model), weightsOf(oracle)];
    for (const name of Object.keys(want)) expect(Array.from(got[name]!), name).toEqual(Array.from(want[name]!));
    // Whole-batch statistics (plain train) differ: the shards normalize with their own means.
    await train(plain, data, { ...o, optimizer: adam({ lr: 0.01 }) });
    expect(Array.from(got['bn/movingMean']!)).not.toEqual(Array.from(weightsOf(plain)['bn/movingMean']!));
    [model, oracle, plain].forEach((m) => m.dispose());
  });

  it('a worker failure (bad sample shape) rejects with a ShapeError and shuts the pool down', async () => {
    const model = tinyConvNet();
    const before = tf.memory().numTensors;
    // The third batch of a batch function has another sample shape (same size, so it reaches the workers).
    const stream = (): Iterable<Batch> => [0, 1, 2].map((k) => ({ x: tf.zeros(k < 2 ? [4, 6, 6, 1] : [4, 4, 9, 1]), y: tf.zeros([4, 5]) }));
    const err = await trainParallel(model, stream, { workers: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as BonsaiError).message).toMatch(/worker \d failed: .*shape/i);
    expect(tf.memory().numTensors).toBe(before);
    // No worker thread is left behind.
    await new Promise((r) => setTimeout(r, 50));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker')).toEqual([]);
    await expect(trainParallel(model, data, { workers: 0 })).rejects.toBeInstanceOf(ConfigError);
    model.dispose();
  });
});
