import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, loadMnist, type MnistData } from '../src/index';
import { sameValues } from './helpers';

const PACKAGE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

describe('loadMnist', () => {
  let data: MnistData;
  beforeAll(() => {
    data = loadMnist();
  });

  it('holds the 10,000 digits as an 8000/2000 split', () => {
    expect(data.imageShape).toEqual([28, 28, 1]);
    expect(data.numClasses).toBe(10);
    expect(data.train.count).toBe(8000);
    expect(data.test.count).toBe(2000);
    for (const split of [data.train, data.test]) {
      expect(split.images).toBeInstanceOf(Float32Array);
      expect(split.labels).toBeInstanceOf(Uint8Array);
      expect(split.images.length).toBe(split.count * 784);
      expect(split.labels.length).toBe(split.count);
      expect(split.indices.length).toBe(split.count);
    }
  });

  it('is stratified: every class in both splits in proportion', () => {
    const train = classCounts(data.train.labels);
    const test = classCounts(data.test.labels);
    train.forEach((n, c) => {
      expect(n + (test[c] ?? 0)).toBe(PACKAGE_COUNTS[c]);
      expect(Math.abs(n - 0.8 * (PACKAGE_COUNTS[c] ?? 0))).toBeLessThanOrEqual(1);
      expect(test[c]).toBeGreaterThan(150);
    });
  });

  it('has pixels in [0, 1] with real ink', () => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of data.train.images) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBeCloseTo(1, 5);
    const mean = sum / data.train.images.length;
    expect(mean).toBeGreaterThan(0.08);
    expect(mean).toBeLessThan(0.2);
  });

  it('keeps train and test disjoint and covers every digit once', () => {
    const seen = new Uint8Array(10000);
    for (const i of data.train.indices) seen[i] = (seen[i] ?? 0) + 1;
    for (const i of data.test.indices) seen[i] = (seen[i] ?? 0) + 1;
    expect(seen.every((n) => n === 1)).toBe(true);
  });

  it('matches the mnist package digit for digit', () => {
    type Digit = { length: number; get(i: number): number[] };
    const mnist = createRequire(import.meta.url)('mnist') as Digit[];
    const offsets = [0];
    for (let c = 0; c < 10; c++) offsets.push((offsets[c] ?? 0) + (mnist[c]?.length ?? 0));
    expect(offsets[10]).toBe(10000);
    for (const split of [data.train, data.test]) {
      for (const i of [0, 1, 17, split.count - 1]) {
        const index = split.indices[i] ?? -1;
        const label = split.labels[i] ?? -1;
        expect(index).toBeGreaterThanOrEqual(offsets[label] ?? NaN);
        expect(index).toBeLessThan(offsets[label + 1] ?? NaN);
        const expected = mnist[label]?.get(index - (offsets[label] ?? 0)) ?? [];
        expect(expected.length).toBe(784);
        expect(sameValues(split.images.subarray(i * 784, (i + 1) * 784), Float32Array.from(expected))).toBe(true);
      }
    }
  });

  it('is deterministic, and another seed gives another split', () => {
    const again = loadMnist();
    expect(sameValues(again.train.indices, data.train.indices)).toBe(true);
    expect(sameValues(again.test.labels, data.test.labels)).toBe(true);
    expect(sameValues(again.train.images, data.train.images)).toBe(true);
    expect(again.train.images === data.train.images).toBe(false);
    const other = loadMnist({ seed: 7 });
    expect(sameValues(other.train.indices, data.train.indices)).toBe(false);
    expect(other.train.count).toBe(8000);
  });

  it('takes the first trainSize/testSize samples', () => {
    const small = loadMnist({ trainSize: 100, testSize: 30 });
    expect(small.train.count).toBe(100);
    expect(small.test.count).toBe(30);
    expect(small.train.images.length).toBe(100 * 784);
    expect(sameValues(small.train.indices, data.train.indices.subarray(0, 100))).toBe(true);
    expect(sameValues(small.test.images, data.test.images.subarray(0, 30 * 784))).toBe(true);
    expect(new Set(small.train.labels).size).toBe(10);
  });

  it('rejects invalid sizes', () => {
    expect(() => loadMnist({ trainSize: 8001 })).toThrow(DatasetError);
    expect(() => loadMnist({ testSize: -1 })).toThrow(/testSize/);
    expect(() => loadMnist({ trainSize: 1.5 })).toThrow(DatasetError);
  });
});
