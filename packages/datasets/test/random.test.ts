import { describe, expect, it } from 'vitest';
import { createRng, DatasetError, shuffledIndices } from '../src/index';

describe('createRng', () => {
  it('is deterministic per seed and in [0, 1)', () => {
    const a = createRng(7);
    const b = createRng(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('differs across seeds and rejects non-finite seeds', () => {
    expect(createRng(1)()).not.toBe(createRng(2)());
    expect(() => createRng(Number.NaN)).toThrow(DatasetError);
  });
});

describe('shuffledIndices', () => {
  it('is a seeded permutation', () => {
    const p = shuffledIndices(500, 3);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(shuffledIndices(500, 3)).toEqual(p);
    expect(shuffledIndices(500, 4)).not.toEqual(p);
    expect(shuffledIndices(0, 1).length).toBe(0);
  });
});
