import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { epochBatches, syntheticClassification } from '../src/index';
import { sameValues } from './helpers';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('batches on the wasm backend', () => {
  it('builds the same tensors and leaks none', () => {
    expect(tf.getBackend()).toBe('wasm');
    const split = syntheticClassification({ count: 70, shape: [28, 28, 1], seed: 9 });
    const before = tf.memory().numTensors;
    let seen = 0;
    for (const { x, y } of epochBatches(split, { batchSize: 32, shuffle: false })(0)) {
      const b = x.shape[0] ?? 0;
      expect(sameValues(x.dataSync(), split.images.subarray(seen * 784, (seen + b) * 784))).toBe(true);
      const ones = tf.sum(y);
      expect(ones.dataSync()[0]).toBe(b);
      tf.dispose([x, y, ones]);
      seen += b;
    }
    expect(seen).toBe(70);
    expect(tf.memory().numTensors).toBe(before);
  });
});
