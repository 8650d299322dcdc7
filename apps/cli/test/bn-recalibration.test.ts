import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, initBackend, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recalibrateBatchNorm } from '../src/bn-recalibration';
import { syntheticClassification } from '@bonsai/datasets';
import { loadData } from '../src/data';

describe('recalibrateBatchNorm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('sets running statistics to the average over streamed batches and restores the momentum', async () => {
    const b = new GraphBuilder();
    const x = b.input([28, 28, 1], { name: 'input' });
    const model = Model.create(b.build(b.batchNorm(x, { name: 'bn', momentum: 0.99 })));
    const data = await loadData({ dataset: 'synthetic', trainSize: 300, testSize: 10, seed: 1, batchSize: 64, preprocess: '[0,1]', testFraction: 0.2 }, { cwd: '.' });
    const before = tf.memory().numTensors;
    expect(await recalibrateBatchNorm(model, data, { samples: 300, batchSize: 100 })).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    // expected: mean of the three batch means and of the three (biased) batch variances
    // oracle: the same synthetic samples in memory (loadData's training part, in order)
    const images = syntheticClassification({ count: 300, shape: [28, 28, 1], numClasses: 10, seed: 1 }).images;
    const px = 784;
    let meanSum = 0;
    let varSum = 0;
    for (let k = 0; k < 3; k++) {
      const v = images.subarray(k * 100 * px, (k + 1) * 100 * px);
      const m = v.reduce((a, c) => a + c, 0) / v.length;
      meanSum += m;
      varSum += v.reduce((a, c) => a + (c - m) ** 2, 0) / v.length;
    }
    expect(model.param('bn', 'movingMean')!.value.dataSync()[0]).toBeCloseTo(meanSum / 3, 4);
    expect(model.param('bn', 'movingVariance')!.value.dataSync()[0]).toBeCloseTo(varSum / 3, 4);
    expect(model.graph.node('bn').attrs.momentum).toBe(0.99);
    model.dispose();
  });

  it('does nothing for models without batch norm', async () => {
    const b = new GraphBuilder();
    const x = b.input([28, 28, 1], { name: 'input' });
    const model = Model.create(b.build(b.dense(b.flatten(x), { units: 2, name: 'fc' })));
    expect(await recalibrateBatchNorm(model, await loadData({ dataset: 'synthetic', trainSize: 8, testSize: 8, seed: 1, batchSize: 8, preprocess: '[0,1]', testFraction: 0.2 }, { cwd: '.' }))).toBe(0);
    model.dispose();
  });
});
