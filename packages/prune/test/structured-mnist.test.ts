import * as tf from '@tensorflow/tfjs-core';
import { adam, initBackend, train, type Model } from '@bonsai/core';
import { epochBatches, loadMnist, toTensors } from '@bonsai/datasets';
import { modelStats } from '@bonsai/graph';
import { smallCnn } from '@bonsai/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { magnitude, Pruner } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

function accuracy(model: Model, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const pred = tf.argMax(model.predict(x, { batchSize: 250 }), -1);
    return tf.mean(tf.cast(tf.equal(pred, tf.argMax(y, -1)), 'float32')).dataSync()[0]!;
  });
}

describe('structured pruning on MNIST', () => {
  it('small CNN at 50% channels + 2 epochs of fine-tuning stays within 1% of its accuracy', async () => {
    const before = tf.memory().numTensors;
    const data = loadMnist({ trainSize: 2000, testSize: 500 });
    const test = toTensors(data.test);
    // BN momentum 0.9: Keras' 0.99 leaves the running statistics far from converged after ~120 steps.
    const model = smallCnn({ widths: [8, 16], hidden: 32, bnMomentum: 0.9 });
    const batches = epochBatches(data.train, { batchSize: 32, seed: 1 });
    const opt = adam({ lr: 2e-3 });
    await train(model, batches, { optimizer: opt, epochs: 2 });
    const dense = accuracy(model, test.x, test.y);
    const statsDense = modelStats(model);

    const pruner = new Pruner(model, { importance: magnitude({ p: 2 }), ratio: 0.5 });
    expect(pruner.step()).toBe(true);
    expect(pruner.step()).toBe(false);
    const stats = modelStats(model);
    expect(['conv1', 'conv2', 'conv3', 'conv4', 'fc1'].map((id) => stats.channels[id])).toEqual([4, 4, 8, 8, 16]);
    expect(stats.macs / statsDense.macs).toBeLessThan(0.3);
    const pruned = accuracy(model, test.x, test.y);

    // Two epochs: with one, the result sits on the 1-point line and flips with the batch order
    // (seeds 1-3 measured: old and new core gradients each failed one of them); with two, all three
    // seeds end 1.0-3.4 pt above the dense model.
    await train(model, (e) => batches(e + 2), { optimizer: opt, epochs: 2 });
    const tuned = accuracy(model, test.x, test.y);
    console.log(`MNIST small CNN: dense ${(dense * 100).toFixed(1)}%, pruned 50% ${(pruned * 100).toFixed(1)}%, fine-tuned ${(tuned * 100).toFixed(1)}%; MACs x${(stats.macs / statsDense.macs).toFixed(3)}, params x${(stats.params / statsDense.params).toFixed(3)}`);
    expect(dense).toBeGreaterThan(0.8);
    expect(tuned).toBeGreaterThanOrEqual(dense - 0.01);
    opt.dispose();
    model.dispose();
    test.x.dispose();
    test.y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
