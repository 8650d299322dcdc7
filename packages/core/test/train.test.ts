import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, GraphBuilder, Model, Param, adam, cosineLr, crossEntropy, recalibrateBatchNorm, recalibrateBatchNormAsync, sgd, stepLr, train, type Callback } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

/** Two well separated blobs per class in 8x8 images: class k lights up quadrant k. */
function blobs(n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const labels = Array.from({ length: n }, (_, i) => i % 4);
    const noise = tf.randomUniform([n, 8, 8, 1], 0, 0.3, 'float32', seed);
    const masks = labels.map((k) => {
      const m = new Float32Array(64);
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) m[(r + 4 * (k >> 1)) * 8 + c + 4 * (k & 1)] = 1;
      return Array.from(m);
    });
    const x = tf.add(noise, tf.tensor(masks.flat(), [n, 8, 8, 1]));
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
    return { x, y: tf.cast(y, 'float32') };
  });
}

function cnn(seed = 0): Model {
  const b = new GraphBuilder();
  const x = b.input([8, 8, 1], { name: 'x' });
  let h = b.relu(b.batchNorm(b.conv2d(x, { filters: 6, kernel: 3, name: 'conv' }), { name: 'bn' }));
  h = b.maxPool(h);
  h = b.dropout(b.flatten(h), { rate: 0.1 });
  return Model.create(b.build(b.dense(h, { units: 4, name: 'fc' })), { seed });
}

function accuracy(model: Model, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(model.predict(x), -1), tf.argMax(y, -1)), 'float32')).dataSync()[0]!);
}

describe('train()', () => {
  it('learns a separable problem, calls callbacks in order, and leaks no tensors', async () => {
    const data = blobs(128, 1);
    const before = tf.memory().numTensors;
    const model = cnn(1);
    const opt = adam({ lr: 0.01 });
    const events: string[] = [];
    const cb: Callback = {
      onTrainBegin: () => void events.push('trainBegin'),
      onEpochBegin: (s) => void events.push(`epochBegin${s.epoch}`),
      onAfterBackward: (g) => {
        expect(Object.keys(g)).toContain('conv/kernel');
        expect(Object.keys(g)).not.toContain('bn/movingMean');
      },
      onEpochEnd: (s) => void events.push(`epochEnd${s.epoch}`),
      onTrainEnd: () => void events.push('trainEnd'),
    };
    const h = await train(model, data, { optimizer: opt, epochs: 3, batchSize: 16, callbacks: [cb], seed: 3 });
    expect(events).toEqual(['trainBegin', 'epochBegin0', 'epochEnd0', 'epochBegin1', 'epochEnd1', 'epochBegin2', 'epochEnd2', 'trainEnd']);
    expect(h.steps).toBe(24);
    expect(h.epochLosses[2]!).toBeLessThan(h.epochLosses[0]!);
    expect(accuracy(model, data.x, data.y)).toBeGreaterThan(0.95);
    opt.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    data.x.dispose();
    data.y.dispose();
  });

  it('is deterministic for a given seed', async () => {
    const data = blobs(64, 2);
    const run = async () => {
      const m = cnn(7);
      const o = sgd({ lr: 0.05, momentum: 0.9 });
      const h = await train(m, data, { optimizer: o, epochs: 1, batchSize: 16, seed: 9 });
      const w = Array.from(m.param('fc', 'kernel')!.value.dataSync());
      o.dispose();
      m.dispose();
      return { h, w };
    };
    const a = await run();
    const b = await run();
    expect(b.h.epochLosses).toEqual(a.h.epochLosses);
    expect(b.w).toEqual(a.w);
    data.x.dispose();
    data.y.dispose();
  });

  it('masked weights stay zero through training (no revival)', async () => {
    const data = blobs(64, 3);
    const m = cnn(2);
    const k = m.param('conv', 'kernel')!;
    const mask = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(k.shape, 0, 1, 'float32', 5), 0.5), 'float32'));
    k.setMask(mask);
    const zerosBefore = k.sparsity();
    const o = adam({ lr: 0.01 });
    await train(m, data, { optimizer: o, epochs: 2, batchSize: 16 });
    expect(k.sparsity()).toBe(zerosBefore);
    const masked = tf.tidy(() => tf.sum(tf.abs(tf.mul(k.effective(), tf.sub(1, mask)))).dataSync()[0]);
    expect(masked).toBe(0);
    mask.dispose();
    o.dispose();
    m.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('lr schedules', () => {
    const s = stepLr({ initial: 1, stepSize: 2, gamma: 0.5 });
    expect([0, 1, 2, 3, 4].map((e) => s(0, e))).toEqual([1, 1, 0.5, 0.5, 0.25]);
    const c = cosineLr({ initial: 1, totalSteps: 10, min: 0 });
    expect(c(0, 0)).toBeCloseTo(1);
    expect(c(5, 0)).toBeCloseTo(0.5);
    expect(c(10, 0)).toBeCloseTo(0);
  });

  it('rejects bad options with typed errors', async () => {
    const m = cnn();
    const t = tf.zeros([4, 8, 8, 1]);
    const y = tf.zeros([3, 4]);
    await expect(train(m, { x: t, y }, { epochs: 1 })).rejects.toThrow(/4 samples but y has 3/);
    await expect(train(m, { x: t, y }, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    expect(() => adam({ lr: -1 })).toThrow(/learning rate/);
    [t, y].forEach((v) => v.dispose());
    m.dispose();
  });
});

describe('train() with extraParams', () => {
  it('differentiates and steps params outside the model, reports their grads by name, leaks nothing', async () => {
    const data = blobs(32, 4);
    const before = tf.memory().numTensors;
    const model = cnn(2);
    const init = tf.tensor1d([1, 1, 1, 1]);
    const scale = new Param('head/scale', init);
    const frozenInit = tf.tensor1d([2]);
    const frozen = new Param('head/frozen', frozenInit, false);
    [init, frozenInit].forEach((t) => t.dispose());
    const opt = sgd({ lr: 0.1 });
    const names: string[][] = [];
    let grad: number[] = [];
    let valueBefore: number[] = [];
    const cb: Callback = {
      onBatchBegin: () => {
        valueBefore = Array.from(scale.value.dataSync());
      },
      onAfterBackward: (g) => {
        names.push(Object.keys(g));
        grad = Array.from(g['head/scale']!.dataSync());
      },
    };
    const loss = ({ output, batch }: { output: tf.Tensor; batch: { y: tf.Tensor } }): tf.Scalar =>
      crossEntropy(tf.mul(tf.mul(output, scale.value), frozen.value), batch.y);
    const h = await train(model, data, { optimizer: opt, loss, extraParams: [scale, frozen], batchSize: 16, epochs: 1, callbacks: [cb] });
    expect(h.steps).toBe(2);
    for (const n of names) {
      expect(n).toContain('head/scale');
      expect(n).toContain('conv/kernel');
      expect(n).not.toContain('head/frozen');
    }
    // Plain SGD: the last step moved the extra param by exactly -lr * its reported gradient.
    expect(grad.some((g) => g !== 0)).toBe(true);
    const after = Array.from(scale.value.dataSync());
    after.forEach((v, i) => expect(v).toBeCloseTo(valueBefore[i]! - 0.1 * grad[i]!, 6));
    expect(Array.from(frozen.value.dataSync())).toEqual([2]);
    opt.dispose();
    [scale, frozen].forEach((p) => p.dispose());
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    data.x.dispose();
    data.y.dispose();
  });

  it('rejects extra params whose names collide', async () => {
    const model = cnn();
    const data = blobs(4, 5);
    const v = tf.zeros([2]);
    const clash = new Param('conv/kernel', v);
    const a = new Param('extra/a', v);
    const a2 = new Param('extra/a', v);
    v.dispose();
    await expect(train(model, data, { extraParams: [clash] })).rejects.toThrow(ConfigError);
    await expect(train(model, data, { extraParams: [a, a2] })).rejects.toThrow(/extra\/a/);
    [clash, a, a2].forEach((p) => p.dispose());
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});

describe('train() without an optimizer', () => {
  it('disposes the Adam state it created', async () => {
    const data = blobs(32, 4);
    const m = cnn(3);
    const before = tf.memory().numTensors;
    await train(m, data, { epochs: 1, batchSize: 16 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});

describe('Param value updates leak nothing', () => {
  it('assign, replace and plain SGD keep the tensor count', async () => {
    const m = cnn(5);
    const p = m.param('fc', 'bias')!;
    const before = tf.memory().numTensors;
    const v = tf.tensor([1, 2, 3, 4]);
    p.assign(v);
    const w = tf.tensor([1, 2]);
    p.replace(w);
    [v, w].forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
    expect(p.shape).toEqual([2]);
    m.dispose();
    const m2 = cnn(6);
    const data = blobs(16, 5);
    const o = sgd({ lr: 0.1 });
    const b2 = tf.memory().numTensors;
    await train(m2, data, { epochs: 1, batchSize: 8, optimizer: o });
    expect(tf.memory().numTensors).toBe(b2);
    [data.x, data.y].forEach((t) => t.dispose());
    m2.dispose();
  });
});

describe('recalibrateBatchNorm()', () => {
  it('sets running statistics to the average of per-batch statistics without touching graph attributes', () => {
    const b = new GraphBuilder();
    const x = b.input([2], { name: 'x' });
    const m = Model.create(b.build(b.batchNorm(x, { name: 'bn', momentum: 0.99 })));
    const x1 = tf.tensor([[1, 10], [3, 30]]);
    const x2 = tf.tensor([[5, 50], [7, 70]]);
    const before = tf.memory().numTensors;
    expect(recalibrateBatchNorm(m, [x1, x2])).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    // batch means (2, 20) and (6, 60) -> 4, 40; batch variances (1, 100) each -> 1, 100
    expect(Array.from(m.param('bn', 'movingMean')!.value.dataSync())).toEqual([4, 40]);
    expect(Array.from(m.param('bn', 'movingVariance')!.value.dataSync())).toEqual([1, 100]);
    expect(m.graph.node('bn').attrs.momentum).toBe(0.99);
    expect(m.graph.version, 'no graph mutation').toBe(0);
    [x1, x2].forEach((t) => t.dispose());
    m.dispose();
  });

  it('reads an async stream to the same statistics', async () => {
    const b = new GraphBuilder();
    const x = b.input([2], { name: 'x' });
    const m = Model.create(b.build(b.batchNorm(x, { name: 'bn', momentum: 0.99 })));
    const before = tf.memory().numTensors;
    async function* stream(): AsyncGenerator<tf.Tensor> {
      for (const rows of [[[1, 10], [3, 30]], [[5, 50], [7, 70]]]) {
        const t = tf.tensor(rows);
        try {
          yield t;
        } finally {
          t.dispose();
        }
      }
    }
    expect(await recalibrateBatchNormAsync(m, stream())).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(m.param('bn', 'movingMean')!.value.dataSync())).toEqual([4, 40]);
    expect(Array.from(m.param('bn', 'movingVariance')!.value.dataSync())).toEqual([1, 100]);
    expect(m.graph.version, 'no graph mutation').toBe(0);
    m.dispose();
  });
});
