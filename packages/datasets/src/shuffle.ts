import type { Rng } from '@bonsai/core';

/** Default seed of every seeded function in this package. */
export const DEFAULT_SEED = 42;

/**
 * Shuffles `array` in place (Fisher-Yates) with numbers drawn from `rng` (core's `createRng`);
 * returns it. One generator can drive several shuffles, as loadMnist's stratified split does.
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = array[i] as number;
    array[i] = array[j] as number;
    array[j] = tmp;
  }
  return array;
}
