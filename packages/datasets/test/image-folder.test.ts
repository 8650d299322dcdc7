import { initBackend } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFolder, type DataBatch, type DecoderName } from '../src/index';
import { tempDir, writeMnistTree } from './image-helpers';

const COUNT = 60;
const dir = tempDir();
const written = writeMnistTree(dir, COUNT);
const { folderOrder } = written;

beforeAll(() => initBackend('wasm'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(batches: AsyncIterable<DataBatch>): Promise<{ x: Float32Array[]; labels: number[]; shapes: number[][]; indices: number[] }> {
  const out = { x: [] as Float32Array[], labels: [] as number[], shapes: [] as number[][], indices: [] as number[] };
  for await (const batch of batches) {
    out.shapes.push(batch.x.shape);
    const values = batch.x.dataSync() as Float32Array;
    const n = batch.x.shape[0] ?? 0;
    for (let i = 0; i < n; i++) out.x.push(values.slice(i * 784, (i + 1) * 784));
    const y = batch.y?.dataSync();
    for (let i = 0; i < n; i++) out.labels.push(y ? Array.from(y.subarray(i * 10, (i + 1) * 10)).indexOf(1) : -1);
    out.indices.push(...batch.indices);
    tf.dispose([batch.x, batch.y ?? []]);
  }
  return out;
}

describe.each(['sharp', 'js'] as DecoderName[])('imageFolder on MNIST digits written as PNG (%s decoder)', (decoder) => {
  it('lists classes sorted by name and reads every digit back exactly', async () => {
    const before = tf.memory().numTensors;
    const ds = await imageFolder(dir, { channels: 1, preprocess: '[0,255]', decoder });
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.size).toBe(COUNT);
    expect(ds.sampleShape).toEqual([28, 28, 1]);
    expect(Array.from(ds.labels() ?? [])).toEqual(folderOrder.map((i) => written.labels[i]));
    const got = await collect(ds.batches({ batchSize: 16 }));
    expect(got.shapes.map((s) => s[0])).toEqual([16, 16, 16, 12]);
    expect(got.shapes[0]).toEqual([16, 28, 28, 1]);
    folderOrder.forEach((source, position) => {
      expect(Array.from(got.x[position] ?? [])).toEqual(Array.from(written.pixels[source] ?? []));
      expect(got.labels[position]).toBe(written.labels[source]);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives [0,1] values equal to the 8-bit digits / 255', async () => {
    const ds = await imageFolder(dir, { channels: 1, decoder });
    const got = await collect(ds.subset([0, 1, 2]).batches({ batchSize: 3 }));
    got.x.forEach((x, k) => {
      const source = written.pixels[folderOrder[k] as number] as Uint8Array;
      x.forEach((v, j) => expect(v).toBe(Math.fround((source[j] as number) / 255)));
    });
  });
});

describe('streaming', () => {
  it('shuffles deterministically per seed, covers every sample once, and reports progress', async () => {
    const ds = await imageFolder(dir, { channels: 1, preprocess: '[0,255]' });
    const progress: number[] = [];
    const a = await collect(ds.batches({ batchSize: 25, shuffle: true, seed: 5, onProgress: (p) => progress.push(p.samples) }));
    const b = await collect(ds.batches({ batchSize: 25, shuffle: true, seed: 5, prefetch: 0 }));
    const c = await collect(ds.batches({ batchSize: 25, shuffle: true, seed: 6 }));
    expect(a.indices).toEqual(b.indices);
    expect(a.indices).not.toEqual(c.indices);
    expect([...a.indices].sort((p, q) => p - q)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(progress).toEqual([25, 50, 60]);
    // Every shuffled sample is the digit at its reported position.
    a.indices.forEach((position, k) => expect(Array.from(a.x[k] ?? [])).toEqual(Array.from(written.pixels[folderOrder[position] as number] ?? [])));
  });

  it('drops the remainder, stops early without leaking, and splits deterministically and stratified', async () => {
    const before = tf.memory().numTensors;
    const ds = await imageFolder(dir, { channels: 1 });
    const sizes: number[] = [];
    for await (const { x, y } of ds.batches({ batchSize: 25, dropRemainder: true })) {
      sizes.push(x.shape[0] ?? 0);
      tf.dispose([x, y ?? []]);
    }
    expect(sizes).toEqual([25, 25]);
    for await (const { x, y } of ds.batches({ batchSize: 10, prefetch: 2 })) {
      tf.dispose([x, y ?? []]);
      break; // prefetched batches hold no tensors
    }
    expect(tf.memory().numTensors).toBe(before);
    const { train, validation } = ds.split({ validationSplit: 0.25, seed: 1 });
    const again = ds.split({ validationSplit: 0.25, seed: 1 });
    expect(again.validation.names()).toEqual(validation.names());
    expect(train.size + validation.size).toBe(COUNT);
    expect(new Set([...train.names(), ...validation.names()]).size).toBe(COUNT);
    const labels = ds.labels() ?? new Int32Array();
    const val = validation.labels() ?? new Int32Array();
    for (let c = 0; c < 10; c++) {
      const n = labels.filter((l) => l === c).length;
      expect(val.filter((l) => l === c).length).toBe(Math.round(n * 0.25));
    }
    expect(() => ds.split({ validationSplit: 1 })).toThrow(/validationSplit must be in \(0, 1\)/);
  });

  it('reads a flat folder as unlabeled, and a class tree with labels: "none"', async () => {
    const flat = await imageFolder(`${dir}/3`, { channels: 1 });
    expect(flat.labeled).toBe(false);
    expect(flat.classes).toBeUndefined();
    expect(flat.size).toBe(written.labels.filter((l) => l === 3).length);
    const all = await imageFolder(dir, { channels: 1, labels: 'none' });
    expect(all.size).toBe(COUNT);
    for await (const batch of all.batches({ batchSize: 64 })) {
      expect(batch.y).toBeUndefined();
      expect(batch.labels).toBeUndefined();
      batch.x.dispose();
    }
  });

  it('resizes (bilinear) and converts gray to RGB with ImageNet normalization', async () => {
    const ds = await imageFolder(dir, { size: [14, 14], channels: 3, preprocess: 'imagenet' });
    expect(ds.sampleShape).toEqual([14, 14, 3]);
    for await (const { x, y } of ds.subset([0]).batches({ batchSize: 1 })) {
      expect(x.shape).toEqual([1, 14, 14, 3]);
      // 28 -> 14 with half-pixel centres samples exactly between source pixels 2i and 2i+1.
      const src = written.pixels[folderOrder[0] as number] as Uint8Array;
      const v = x.dataSync();
      const p = (src[5 * 2 * 28 + 7 * 2]! + src[5 * 2 * 28 + 7 * 2 + 1]! + src[(5 * 2 + 1) * 28 + 7 * 2]! + src[(5 * 2 + 1) * 28 + 7 * 2 + 1]!) / 4;
      for (let c = 0; c < 3; c++) expect(v[(5 * 14 + 7) * 3 + c]).toBeCloseTo((p / 255 - [0.485, 0.456, 0.406][c]!) / [0.229, 0.224, 0.225][c]!, 5);
      tf.dispose([x, y ?? []]);
    }
  });
});
