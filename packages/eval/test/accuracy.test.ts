import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BonsaiError, ConfigError, ShapeError, initBackend, type Model } from '@bonsai/core';
import { accuracy, topK, topKAccuracies, type LabeledBatch } from '../src/index';
import { identityNet } from './helpers';

// The identity model outputs its input, so predictions are the argmax of each row of X:
// [0, 1, 2, 0] against labels [0, 2, 2, 1] -> top-1 2/4; top-2 sets {0,1} {1,2} {2,1} {0,2} -> 3/4.
const X = [[3, 2, 1], [1, 3, 2], [1, 2, 3], [3, 1, 2]];
const LABELS = [0, 2, 2, 1];

let model: Model;
beforeAll(async () => {
  await initBackend('wasm');
  model = identityNet();
});
afterAll(() => model.dispose());

function data(): { x: tf.Tensor; y: tf.Tensor; labels: tf.Tensor } {
  return { x: tf.tensor2d(X), y: tf.oneHot(tf.tensor1d(LABELS, 'int32'), 3), labels: tf.tensor1d(LABELS, 'int32') };
}

describe('accuracy / topK', () => {
  it('scores known predictions with one-hot or integer labels, any batch size', () => {
    const d = data();
    const before = tf.memory().numTensors;
    for (const batchSize of [1, 3, 4, 256]) {
      expect(accuracy(model, d.x, d.y, { batchSize })).toBe(0.5);
      expect(accuracy(model, d.x, d.labels, { batchSize })).toBe(0.5);
      expect(topK(model, d.x, d.y, 2, { batchSize })).toBe(0.75);
      expect(topK(model, d.x, d.labels, 3, { batchSize })).toBe(1);
    }
    expect(topKAccuracies(model, d, [1, 2, 3], { batchSize: 3 })).toEqual([0.5, 0.75, 1]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([d.x, d.y, d.labels]);
  });

  it('iterates batches and disposes them (unless told not to)', () => {
    const d = data();
    const before = tf.memory().numTensors;
    const make = (): LabeledBatch[] => [0, 2].map((i) => ({ x: tf.slice(d.x, [i], [2]), y: tf.slice(d.y, [i], [2]) }));
    expect(accuracy(model, make())).toBe(0.5);
    expect(tf.memory().numTensors).toBe(before);
    const kept = make();
    expect(topK(model, kept, 2, { disposeBatches: false })).toBe(0.75);
    expect(tf.memory().numTensors).toBe(before + 4);
    kept.forEach((b) => tf.dispose([b.x, b.y]));
    function* gen(): Generator<LabeledBatch> {
      for (const b of make()) yield b;
    }
    expect(accuracy(model, gen())).toBe(0.5);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([d.x, d.y, d.labels]);
  });

  it('throws typed errors for mismatched or bad input, without leaking', () => {
    const d = data();
    const y3 = tf.slice(d.y, [0], [3]);
    const y4 = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
    const before = tf.memory().numTensors;
    const err = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('expected a throw');
    };
    const mismatch = err(() => accuracy(model, d.x, y3));
    expect(mismatch).toBeInstanceOf(ShapeError);
    expect((mismatch as Error).message).toContain('x has 4 samples but y has 3');
    expect(err(() => accuracy(model, d.x, y4))).toBeInstanceOf(ShapeError);
    expect(err(() => topK(model, d.x, d.y, 4))).toBeInstanceOf(ConfigError);
    expect(err(() => topK(model, d.x, d.y, 0))).toBeInstanceOf(ConfigError);
    expect(err(() => accuracy(model, d.x, d.y, { batchSize: 0 }))).toBeInstanceOf(ConfigError);
    expect((err(() => accuracy(model, [])) as BonsaiError).code).toBe('DATA');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([d.x, d.y, d.labels, y3, y4]);
  });
});
