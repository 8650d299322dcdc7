import { DatasetError } from './errors';

/** Default seed of every seeded function in this package. */
export const DEFAULT_SEED = 42;

/**
 * A mulberry32 pseudo-random generator: returns a function yielding floats in [0, 1).
 * The same seed always gives the same sequence (the seed is taken modulo 2^32).
 */
export function createRng(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new DatasetError(`seed must be a finite number, got ${String(seed)}`);
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `array` in place (Fisher-Yates) with numbers drawn from `rng`; returns it. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(array: T, rng: () => number): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = array[i] as number;
    array[i] = array[j] as number;
    array[j] = tmp;
  }
  return array;
}

/** A seeded permutation of `0 .. n-1`. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0) throw new DatasetError(`n must be a non-negative integer, got ${String(n)}`);
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return shuffleInPlace(indices, createRng(seed));
}
