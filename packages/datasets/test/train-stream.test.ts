import { GraphBuilder, initBackend, Model, sgd, shuffledIndices, train, type Batch } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset, DatasetError, imageFolder, trainingStream } from '../src/index';
import { tempDir, writeMnistTree } from './image-helpers';

const COUNT = 40;
const dir = tempDir();
const written = writeMnistTree(dir, COUNT);
const { folderOrder } = written;

beforeAll(() => initBackend('wasm'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mlp(): Model {
  const b = new GraphBuilder();
  const x = b.input([28, 28, 1], { name: 'x' });
  return Model.create(b.build(b.dense(b.flatten(x), { units: 10, name: 'fc' })), { seed: 3 });
}

/** Oracle: the same batches built from the digits in memory, in the order the stream promises. */
function memoryBatches(batchSize: number, seed: number): (epoch: number) => Iterable<Batch> {
  return function* (epoch) {
    const order = shuffledIndices(COUNT, seed + epoch);
    for (let s = 0; s < COUNT; s += batchSize) {
      const rows = Array.from(order.subarray(s, s + batchSize), (p) => folderOrder[p] as number);
      const x = new Float32Array(rows.length * 784);
      rows.forEach((r, i) => x.set(Float32Array.from(written.pixels[r] as Uint8Array, (v) => v / 255), i * 784));
      const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(rows.map((r) => written.labels[r] as number), 'int32'), 10), 'float32'));
      yield { x: tf.tensor4d(x, [rows.length, 28, 28, 1]), y };
    }
  };
}

describe('trainingStream feeds core train()', () => {
  it('trains exactly as on the same batches held in memory, without leaking tensors', async () => {
    const ds = await imageFolder(dir, { channels: 1 });
    const before = tf.memory().numTensors;
    const streamed = mlp();
    const stream = trainingStream(ds, { batchSize: 16, seed: 9 });
    const optA = sgd({ lr: 0.1 });
    const a = await train(streamed, stream.data, { epochs: 3, optimizer: optA, callbacks: [stream.callback] });
    const oracle = mlp();
    const optB = sgd({ lr: 0.1 });
    const b = await train(oracle, memoryBatches(16, 9), { epochs: 3, optimizer: optB });
    expect(a.steps).toBe(9);
    expect(a.epochLosses.map((l) => Math.fround(l))).toEqual(b.epochLosses.map((l) => Math.fround(l)));
    expect(Array.from(streamed.param('fc', 'kernel')?.value.dataSync() ?? [])).toEqual(Array.from(oracle.param('fc', 'kernel')?.value.dataSync() ?? [NaN]));
    for (const m of [streamed, oracle]) m.dispose();
    optA.dispose();
    optB.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops early (maxSteps) without leaking the prefetched batch, and trains unlabeled data on targets', async () => {
    const before = tf.memory().numTensors;
    const labeled = await imageFolder(dir, { channels: 1 });
    const model = mlp();
    const opt = sgd({ lr: 0.1 });
    const stream = trainingStream(labeled, { batchSize: 8 });
    expect((await train(model, stream.data, { epochs: 5, maxSteps: 3, optimizer: opt, callbacks: [stream.callback] })).steps).toBe(3);
    const unlabeled = await imageFolder(dir, { channels: 1, labels: 'none' });
    expect(() => trainingStream(unlabeled, { batchSize: 8 })).toThrow(DatasetError);
    const teacher = mlp();
    const seen: number[] = [];
    const distil = trainingStream(unlabeled, {
      batchSize: 8,
      target: (x, batch) => {
        expect(batch.x).toBe(x);
        seen.push(...batch.indices);
        return tf.tidy(() => tf.softmax(teacher.predict(x)));
      },
    });
    const h = await train(model, distil.data, { epochs: 1, optimizer: opt, callbacks: [distil.callback] });
    expect(h.steps).toBe(5);
    // the target function sees every sample's position once per epoch
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: unlabeled.size }, (_, i) => i));
    await expect(train(model, trainingStream(labeled, { batchSize: 8 }).data, { epochs: 1, optimizer: opt })).rejects.toThrow(/pass stream\.callback/);
    for (const m of [model, teacher]) m.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('input replaces each batch\'s x before target sees it (epoch passed, the original disposed)', async () => {
    const before = tf.memory().numTensors;
    // 6 samples of 2 values: sample i holds [i, -i]
    const ds = arrayDataset({ data: Float32Array.from({ length: 12 }, (_, k) => (k % 2 ? -1 : 1) * Math.floor(k / 2)), shape: [6, 2] });
    const b = new GraphBuilder();
    const model = Model.create(b.build(b.dense(b.input([2], { name: 'x' }), { units: 2, name: 'fc' })), { seed: 1 });
    const seen: Array<[number, number[]]> = [];
    const stream = trainingStream(ds, {
      batchSize: 4,
      shuffle: false,
      input: (x, _batch, epoch) => tf.mul(x, epoch + 2),
      target: (x, batch) => {
        seen.push([batch.indices[0]!, Array.from(x.dataSync())]);
        expect(batch.x.isDisposed).toBe(true); // the raw batch was replaced and disposed
        return tf.zeros([x.shape[0]!, 2]);
      },
    });
    const opt = sgd({ lr: 1e-9 });
    await train(model, stream.data, { epochs: 2, optimizer: opt, callbacks: [stream.callback] });
    // hand computation: batch 1 = samples 0..3, batch 2 = samples 4, 5; epoch e scales by e + 2
    expect(seen).toEqual([
      [0, [0, -0, 2, -2, 4, -4, 6, -6]],
      [4, [8, -8, 10, -10]],
      [0, [0, -0, 3, -3, 6, -6, 9, -9]],
      [4, [12, -12, 15, -15]],
    ]);
    model.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
