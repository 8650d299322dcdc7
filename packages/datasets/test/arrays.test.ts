import { initBackend, IoError, ShapeError } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset, DatasetError, encodeNpy, fromSplit, loadMnist, npyDataset, openDataset } from '../src/index';
import { tempDir } from './image-helpers';

const dir = tempDir();
beforeAll(() => initBackend('wasm'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images = Uint8Array.from({ length: 5 * 2 * 2 * 3 }, (_, i) => (i * 13) % 256);
const labels = Int32Array.of(2, 0, 1, 2, 0);

describe('npyDataset', () => {
  it('reads x.npy + labels .npy, and an .npz with x/y, as a streaming dataset', async () => {
    writeFileSync(join(dir, 'x.npy'), encodeNpy(images, [5, 2, 2, 3]));
    writeFileSync(join(dir, 'y.npy'), encodeNpy(labels, [5]));
    writeFileSync(join(dir, 'd.npz'), zipSync({ 'x.npy': encodeNpy(images, [5, 2, 2, 3]), 'y.npy': encodeNpy(labels, [5]) }));
    const before = tf.memory().numTensors;
    for (const ds of [await npyDataset(join(dir, 'x.npy'), { labels: join(dir, 'y.npy'), preprocess: '[0,1]' }), await npyDataset(join(dir, 'd.npz'), { preprocess: '[0,1]' })]) {
      expect(ds.size).toBe(5);
      expect(ds.sampleShape).toEqual([2, 2, 3]);
      expect(ds.classes).toEqual(['0', '1', '2']);
      const xs: number[] = [];
      const ys: number[] = [];
      for await (const { x, y } of ds.batches({ batchSize: 2 })) {
        xs.push(...x.dataSync());
        ys.push(...(y?.dataSync() ?? []));
        tf.dispose([x, y ?? []]);
      }
      xs.forEach((v, i) => expect(v).toBeCloseTo((images[i] as number) / 255, 6));
      expect(ys).toEqual(Array.from(labels).flatMap((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0))));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reshapes samples, takes one-hot labels, and checks shapes', async () => {
    const ds = arrayDataset({ data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] }, { data: Float32Array.of(0, 1, 1, 0), shape: [2, 2] }, { sampleShape: [3, 1] });
    expect(ds.sampleShape).toEqual([3, 1]);
    expect(Array.from(ds.labels() ?? [])).toEqual([1, 0]);
    expect(() => arrayDataset({ data: new Float32Array(6), shape: [2, 3] }, undefined, { sampleShape: [4] })).toThrow(ShapeError);
    expect(() => arrayDataset({ data: new Float32Array(6), shape: [6] })).toThrow(ShapeError);
    expect(() => arrayDataset({ data: new Float32Array(6), shape: [2, 3] }, { data: Float32Array.of(0.5, 1), shape: [2] })).toThrow(/label 0.5 at 0/);
    expect(() => arrayDataset({ data: new Float32Array(6), shape: [2, 3] }, { data: Float32Array.of(1, 1, 0, 1), shape: [2, 2] })).toThrow(/row 0 is not one-hot/);
    writeFileSync(join(dir, 'two.npz'), zipSync({ 'a.npy': encodeNpy(images, [5, 12]), 'b.npy': encodeNpy(labels, [5]) }));
    await expect(npyDataset(join(dir, 'two.npz'))).rejects.toThrow(/two\.npz: no samples member \(pass xKey\); members: a, b/);
    expect((await npyDataset(join(dir, 'two.npz'), { xKey: 'a', yKey: 'b' })).classes).toEqual(['0', '1', '2']);
    await expect(npyDataset(join(dir, 'two.npz'), { xKey: 'a', yKey: 'c' })).rejects.toThrow(DatasetError);
    await expect(npyDataset(join(dir, 'x.npy'), { labels: join(dir, 'two.npz') })).rejects.toThrow(/two\.npz: labels must be a \.npy file/);
    writeFileSync(join(dir, 'bad-y.npy'), encodeNpy(Int32Array.of(1, 2), [2]));
    await expect(npyDataset(join(dir, 'x.npy'), { labels: join(dir, 'bad-y.npy') })).rejects.toThrow(/x\.npy: y must be \[5\]/);
    await expect(npyDataset(join(dir, 'x.npy'), { labels: join(dir, 'bad-y.npy') })).rejects.toThrow(ShapeError); // context keeps the class
  });
});

describe('fromSplit and openDataset', () => {
  it('streams an MNIST split with the Dataset API, values and labels unchanged', async () => {
    const { test } = loadMnist({ testSize: 20 });
    const ds = fromSplit(test);
    expect([ds.size, ds.classes?.length]).toEqual([20, 10]);
    expect(Array.from(ds.labels() ?? [])).toEqual(Array.from(test.labels));
    for await (const { x, y } of ds.batches({ batchSize: 20 })) {
      expect(Array.from(x.dataSync())).toEqual(Array.from(test.images));
      tf.dispose([x, y ?? []]);
    }
  });

  it('opens folders and array files by path, and names what it cannot open', async () => {
    writeFileSync(join(dir, 'o.npy'), encodeNpy(images, [5, 12]));
    expect((await openDataset(join(dir, 'o.npy'))).sampleShape).toEqual([12]);
    await expect(openDataset(join(dir, 'missing.npy'))).rejects.toThrow(IoError);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    await expect(openDataset(join(dir, 'notes.txt'))).rejects.toThrow(/notes\.txt: data must be an image folder or a \.npy/);
  });
});
