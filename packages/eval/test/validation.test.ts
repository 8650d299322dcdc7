import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BonsaiError, ConfigError, ShapeError, initBackend, type Model } from '@bonsai/core';
import { accuracy, benchmarkLatency, countMacs, countNonZero, countParams, evaluate, paramReport, sensitivity, serializedSize, topK } from '../src/index';
import { convNet, identityNet } from './helpers';

let model: Model;
beforeAll(async () => {
  await initBackend('wasm');
  model = identityNet(); // 3 classes, input [3]
});
afterAll(() => model.dispose());

/** The error `f` throws (fails the test when it does not throw). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

const x4 = (): tf.Tensor => tf.tensor2d([[3, 2, 1], [1, 3, 2], [1, 2, 3], [3, 1, 2]]);

describe('label validation (issue 16.5)', () => {
  it('rejects NaN, fractional, negative and out-of-range integer labels with a ConfigError naming y', () => {
    const x = x4();
    const before = tf.memory().numTensors;
    for (const bad of [[0, NaN, 2, 1], [0, 1.5, 2, 1], [0, -1, 2, 1], [0, 3, 2, 1], [0, 1, Infinity, 1]]) {
      const y = tf.tensor1d(bad);
      const e = thrown(() => accuracy(model, x, y));
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toMatch(/label y\[\d\]/);
      expect(thrown(() => topK(model, x, y, 2))).toBeInstanceOf(ConfigError);
      y.dispose();
    }
    // NaN labels used to score 1.0; valid float-typed integer labels still work.
    const ok = tf.tensor1d([0, 1, 2, 0]);
    expect(accuracy(model, x, ok)).toBe(1);
    ok.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects one-hot rows with NaN, negative entries or no class, and mismatched shapes', () => {
    const x = x4();
    const before = tf.memory().numTensors;
    const rows = (r: number[][]): tf.Tensor => tf.tensor2d(r);
    for (const bad of [
      [[1, 0, 0], [0, NaN, 0], [0, 0, 1], [1, 0, 0]],
      [[1, 0, 0], [0, -1, 0], [0, 0, 1], [1, 0, 0]],
      [[1, 0, 0], [0, 0, 0], [0, 0, 1], [1, 0, 0]],
    ]) {
      const y = rows(bad);
      expect(thrown(() => accuracy(model, x, y))).toBeInstanceOf(ConfigError);
      y.dispose();
    }
    const y3 = tf.tensor1d([0, 1, 2]);
    expect(thrown(() => accuracy(model, x, y3)).message).toContain('x has 4 samples but y has 3');
    expect(thrown(() => accuracy(model, x, y3))).toBeInstanceOf(ShapeError);
    const wide = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4));
    expect(thrown(() => accuracy(model, x, wide))).toBeInstanceOf(ShapeError);
    const y4 = tf.tensor1d([0, 1, 2, 0]);
    const x5 = tf.zeros([4, 5]);
    expect(thrown(() => accuracy(model, x5, y4)).message).toMatch(/x has per-sample shape \[5\].*expects \[3\]/);
    const y3d = tf.zeros([4, 3, 1]);
    expect(thrown(() => accuracy(model, x, y3d))).toBeInstanceOf(ShapeError);
    tf.dispose([y3, wide, y4, x5, y3d]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects null, missing or non-tensor arguments with ConfigError naming them', () => {
    const x = x4();
    const y = tf.tensor1d([0, 1, 2, 0]);
    const before = tf.memory().numTensors;
    const nullModel = null as unknown as Model;
    expect(thrown(() => accuracy(nullModel, x, y)).message).toMatch(/model must be a Bonsai Model, got null/);
    expect(thrown(() => accuracy(model, x, undefined as unknown as tf.Tensor)).message).toMatch(/y must be a tensor/);
    expect(thrown(() => accuracy(model, null as unknown as Iterable<{ x: tf.Tensor; y: tf.Tensor }>))).toBeInstanceOf(ConfigError);
    expect(thrown(() => accuracy(model, [null] as unknown as Iterable<{ x: tf.Tensor; y: tf.Tensor }>))).toBeInstanceOf(ConfigError);
    expect(thrown(() => accuracy(model, [{ x, y: [0, 1] }] as unknown as Iterable<{ x: tf.Tensor; y: tf.Tensor }>, { disposeBatches: false })).message).toMatch(/y must be a tensor/);
    expect(thrown(() => topK(model, x, y, 4)).message).toMatch(/k = 4 exceeds the 3 classes/);
    const empty = thrown(() => accuracy(model, []));
    expect(empty).toBeInstanceOf(BonsaiError);
    for (const f of [countParams, countNonZero, paramReport, countMacs]) expect(thrown(() => f(nullModel))).toBeInstanceOf(ConfigError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('evaluate, serializedSize, benchmarkLatency and sensitivity reject null, empty and absurd input with typed errors', async () => {
    const m = convNet();
    const before = tf.memory().numTensors;
    const nullModel = undefined as unknown as Model;
    await expect(evaluate(nullModel)).rejects.toBeInstanceOf(ConfigError);
    await expect(serializedSize(nullModel)).rejects.toBeInstanceOf(ConfigError);
    await expect(benchmarkLatency(nullModel)).rejects.toBeInstanceOf(ConfigError);
    await expect(benchmarkLatency(m, { batch: 1e7 })).rejects.toThrow(/limit/);
    await expect(benchmarkLatency(m, { batch: 1e12 })).rejects.toBeInstanceOf(ConfigError);
    await expect(benchmarkLatency(m, { inputShape: [8, 8, 0] })).rejects.toBeInstanceOf(ConfigError);
    await expect(benchmarkLatency(m, { runs: Number.NaN })).rejects.toBeInstanceOf(ConfigError);
    const evaluateFn = (): number => 1;
    await expect(sensitivity(nullModel, { evaluate: evaluateFn })).rejects.toBeInstanceOf(ConfigError);
    await expect(sensitivity(m, null as unknown as { evaluate: () => number })).rejects.toBeInstanceOf(ConfigError);
    await expect(sensitivity(m, { evaluate: evaluateFn, nodes: [] })).rejects.toThrow(/no nodes/);
    await expect(sensitivity(m, { evaluate: evaluateFn, ratios: [] })).rejects.toThrow(/ratios/);
    await expect(sensitivity(m, { evaluate: evaluateFn, ratios: [Number.NaN] })).rejects.toBeInstanceOf(ConfigError);
    await expect(sensitivity(m, { evaluate: () => Number.NaN, ratios: [0.5] })).rejects.toThrow(/finite number/);
    await expect(sensitivity(m, { evaluate: evaluateFn, nodes: ['nope'] })).rejects.toBeInstanceOf(BonsaiError);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
