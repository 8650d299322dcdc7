import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameValues } from './helpers';
import { batches, DatasetError, epochBatches, loadMnist, syntheticClassification, toTensors, type Batch, type Split } from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function dispose(batch: Batch): void {
  tf.dispose([batch.x, batch.y]);
}

/** Labels of a one-hot batch, checking every row is exactly one-hot. */
function oneHotLabels(y: tf.Tensor): number[] {
  const [rows, depth] = y.shape as [number, number];
  const values = y.dataSync();
  return Array.from({ length: rows }, (_, r) => {
    const row = Array.from(values.subarray(r * depth, (r + 1) * depth));
    expect(row.filter((v) => v === 1).length).toBe(1);
    expect(row.filter((v) => v === 0).length).toBe(depth - 1);
    return row.indexOf(1);
  });
}

describe('batches on MNIST', () => {
  const { train } = loadMnist({ trainSize: 300 });

  it('yields [b, 28, 28, 1] float32 images and one-hot labels, last batch partial', () => {
    const sizes: number[] = [];
    let offset = 0;
    for (const batch of batches(train, { batchSize: 64 })) {
      expect(batch.x.dtype).toBe('float32');
      expect(batch.y.dtype).toBe('float32');
      const b = batch.x.shape[0] ?? 0;
      expect(batch.x.shape).toEqual([b, 28, 28, 1]);
      expect(batch.y.shape).toEqual([b, 10]);
      expect(oneHotLabels(batch.y)).toEqual(Array.from(train.labels.subarray(offset, offset + b)));
      expect(sameValues(batch.x.dataSync(), train.images.subarray(offset * 784, (offset + b) * 784))).toBe(true);
      sizes.push(b);
      offset += b;
      dispose(batch);
    }
    expect(sizes).toEqual([64, 64, 64, 64, 44]);
  });

  it('flattens and drops the remainder on request', () => {
    const shapes: number[][] = [];
    for (const batch of batches(train, { batchSize: 64, flatten: true, dropRemainder: true })) {
      shapes.push(batch.x.shape);
      dispose(batch);
    }
    expect(shapes).toEqual([[64, 784], [64, 784], [64, 784], [64, 784]]);
  });

  it('leaves no tensor behind once batches are disposed', () => {
    const before = tf.memory().numTensors;
    for (const batch of batches(train, { batchSize: 32, shuffle: true })) dispose(batch);
    const whole = toTensors(train, { flatten: true });
    expect(whole.x.shape).toEqual([300, 784]);
    expect(whole.y.shape).toEqual([300, 10]);
    dispose(whole);
    const perEpoch = epochBatches(train, { batchSize: 100 });
    for (let epoch = 0; epoch < 2; epoch++) for (const batch of perEpoch(epoch)) dispose(batch);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('shuffling', () => {
  const split: Split = syntheticClassification({ count: 50, shape: [4], numClasses: 3, seed: 5 });
  const order = (options: Parameters<typeof batches>[1]): number[] => {
    const labels: number[] = [];
    const rows: number[] = [];
    for (const batch of batches(split, options)) {
      const x = batch.x.dataSync();
      for (let r = 0; r < (batch.x.shape[0] ?? 0); r++) rows.push(x[r * 4] ?? NaN);
      labels.push(...oneHotLabels(batch.y));
      dispose(batch);
    }
    // map each first value back to the sample it came from, checking labels travel with images
    return rows.map((v, i) => {
      const index = Array.from({ length: split.count }, (_, k) => k).find((k) => split.images[k * 4] === v) ?? -1;
      expect(split.labels[index]).toBe(labels[i]);
      return index;
    });
  };

  it('is a seeded permutation, reproducible, different per seed', () => {
    const a = order({ batchSize: 8, shuffle: true, seed: 1 });
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order({ batchSize: 8, shuffle: true, seed: 1 })).toEqual(a);
    expect(order({ batchSize: 8, shuffle: true, seed: 2 })).not.toEqual(a);
    expect(order({ batchSize: 8 })).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('epochBatches shuffles with seed + epoch', () => {
    const perEpoch = epochBatches(split, { batchSize: 8, seed: 10 });
    const first = (iterable: Iterable<Batch>): number[] => {
      const xs: number[] = [];
      for (const batch of iterable) {
        xs.push(...Array.from(batch.x.dataSync()));
        dispose(batch);
      }
      return xs;
    };
    const epoch3 = first(perEpoch(3));
    expect(first(perEpoch(3))).toEqual(epoch3);
    expect(first(batches(split, { batchSize: 8, shuffle: true, seed: 13 }))).toEqual(epoch3);
    expect(first(perEpoch(4))).not.toEqual(epoch3);
  });

  it('uses the split shape and class count', () => {
    const s = syntheticClassification({ count: 10, shape: [6, 6, 2], numClasses: 3 });
    const [batch] = [...batches(s, { batchSize: 10 })];
    expect(batch?.x.shape).toEqual([10, 6, 6, 2]);
    expect(batch?.y.shape).toEqual([10, 3]);
    if (batch) dispose(batch);
  });

  it('rejects bad options eagerly', () => {
    expect(() => batches(split, { batchSize: 0 })).toThrow(DatasetError);
    expect(() => batches(split, { batchSize: 4, imageShape: [5] })).toThrow(/expected count/);
    expect(() => batches(split, { batchSize: 4, numClasses: 2 })).toThrow(/outside/);
    expect(() => toTensors(split, { imageShape: [2, 3] })).toThrow(DatasetError);
  });
});
