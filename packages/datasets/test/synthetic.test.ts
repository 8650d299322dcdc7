import { describe, expect, it } from 'vitest';
import { DatasetError, syntheticClassification } from '../src/index';

describe('syntheticClassification', () => {
  it('is deterministic, balanced and seed-dependent', () => {
    const a = syntheticClassification({ count: 103, shape: [8, 8, 1], numClasses: 4, seed: 1 });
    expect(a.images.length).toBe(103 * 64);
    expect(a.shape).toEqual([8, 8, 1]);
    expect(a.numClasses).toBe(4);
    expect(syntheticClassification({ count: 103, shape: [8, 8, 1], numClasses: 4, seed: 1 })).toEqual(a);
    expect(syntheticClassification({ count: 103, shape: [8, 8, 1], numClasses: 4, seed: 2 }).labels).not.toEqual(a.labels);
    const counts = [0, 0, 0, 0];
    for (const label of a.labels) counts[label] = (counts[label] ?? 0) + 1;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('is separable by the brightest band', () => {
    const s = syntheticClassification({ count: 200, shape: [20], numClasses: 5, seed: 3 });
    for (let i = 0; i < s.count; i++) {
      const sample = s.images.subarray(i * 20, (i + 1) * 20);
      const bandMeans = [0, 1, 2, 3, 4].map((c) => (sample[4 * c]! + sample[4 * c + 1]! + sample[4 * c + 2]! + sample[4 * c + 3]!) / 4);
      expect(bandMeans.indexOf(Math.max(...bandMeans))).toBe(s.labels[i]);
      for (const v of sample) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('rejects impossible options', () => {
    expect(() => syntheticClassification({ count: 10, shape: [3], numClasses: 4 })).toThrow(DatasetError);
    expect(() => syntheticClassification({ count: -1 })).toThrow(DatasetError);
  });
});
