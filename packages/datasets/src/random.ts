import { createRng as coreRng } from '@bonsai/core';
import { DatasetError } from './errors';

/** Default seed of every seeded function in this package. */
export const DEFAULT_SEED = 42;

/**
 * A mulberry32 pseudo-random generator (core's): returns a function yielding floats in [0, 1).
 * The same seed always gives the same sequence (the seed is taken modulo 2^32).
 */
export function createRng(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new DatasetError(`seed must be a finite number, got ${String(seed)}`);
  return coreRng(Math.trunc(seed));
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
