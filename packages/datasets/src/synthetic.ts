import { checkInt, checkSeed, DatasetError } from './errors';
import { createRng, shuffledIndices } from '@bonsai/core';
import { DEFAULT_SEED } from './shuffle';
import type { Split } from './types';

/** Options of {@link syntheticClassification}. */
export interface SyntheticOptions {
  /** Number of samples. */
  count: number;
  /** Shape of one sample, e.g. `[28, 28, 1]` or `[16]` (default `[28, 28, 1]`). */
  shape?: number[];
  /** Number of classes, 2 .. 256 (default 10); at most the number of values per sample. */
  numClasses?: number;
  /** Seed of the noise and of the label order (default 42). */
  seed?: number;
}

/** A synthetic split: like MNIST's, with its sample shape and class count attached. */
export interface SyntheticSplit extends Split {
  shape: number[];
  numClasses: number;
}

/**
 * A deterministic, linearly separable classification set needing no download: class `c` lights
 * up the c-th of `numClasses` equal bands of each sample's flattened values (horizontal stripes
 * for `[H, W, C]`) at 0.7 .. 1.0, all other values are noise in 0 .. 0.3. Classes are balanced
 * (counts differ by at most one) and come in seeded random order.
 */
export function syntheticClassification(options: SyntheticOptions): SyntheticSplit {
  const { count, shape = [28, 28, 1], numClasses = 10, seed = DEFAULT_SEED } = options;
  checkInt('count', count, 0);
  checkSeed('seed', seed);
  checkInt('numClasses', numClasses, 2, 256);
  shape.forEach((d, i) => checkInt(`shape[${i}]`, d, 1));
  const size = shape.reduce((a, b) => a * b, 1);
  if (size < numClasses) throw new DatasetError(`a sample of ${size} values cannot hold ${numClasses} class bands`);
  const order = shuffledIndices(count, seed);
  const rng = createRng(seed + 1);
  const labels = new Uint8Array(count);
  const images = new Float32Array(count * size);
  for (let i = 0; i < count; i++) {
    const label = (order[i] ?? 0) % numClasses;
    labels[i] = label;
    const from = Math.floor((label * size) / numClasses);
    const to = Math.floor(((label + 1) * size) / numClasses);
    for (let j = 0; j < size; j++) images[i * size + j] = (j >= from && j < to ? 0.7 : 0) + 0.3 * rng();
  }
  return { images, labels, count, shape: [...shape], numClasses };
}
