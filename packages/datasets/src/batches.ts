import * as tf from '@tensorflow/tfjs-core';
import { checkInt, checkSeed, DatasetError } from './errors';
import { shuffledIndices, type Batch } from '@bonsai/core';
import { DEFAULT_SEED } from './shuffle';
import type { Split } from './types';

/** How a split is turned into tensors. */
export interface TensorOptions {
  /** Make `x` `[b, features]` instead of `[b, ...imageShape]` (default false). */
  flatten?: boolean;
  /** Shape of one sample (default: `split.shape`, else `[28, 28, 1]`); must match the data. */
  imageShape?: number[];
  /** One-hot depth (default: `split.numClasses`, else 10). */
  numClasses?: number;
}

/** Options of {@link batches} and {@link epochBatches}. */
export interface BatchOptions extends TensorOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Visit samples in a seeded random order (default false; true in {@link epochBatches}). */
  shuffle?: boolean;
  /** Shuffle seed (default 42). */
  seed?: number;
  /** Skip the last batch when it is smaller than `batchSize` (default false). */
  dropRemainder?: boolean;
}

/**
 * Yields mini-batches of `split`, building each batch's tensors only when it is requested.
 * The caller owns every batch: dispose `x` and `y` when done with them. Options are checked eagerly.
 * @throws DatasetError on an invalid option or labels outside `0 .. numClasses-1`.
 */
export function batches(split: Split, options: BatchOptions): Generator<Batch> {
  checkInt('batchSize', options.batchSize, 1);
  const layout = resolveLayout(split, options);
  const order = options.shuffle ? shuffledIndices(split.count, checkSeed('seed', options.seed ?? DEFAULT_SEED)) : identity(split.count);
  const end = options.dropRemainder ? split.count - (split.count % options.batchSize) : split.count;
  return generate(split, order, end, options.batchSize, layout);
}

function* generate(split: Split, order: Uint32Array, end: number, batchSize: number, layout: Layout): Generator<Batch> {
  for (let start = 0; start < end; start += batchSize) {
    yield makeBatch(split, order.subarray(start, Math.min(start + batchSize, end)), layout);
  }
}

/**
 * Per-epoch batching for training loops: `epochBatches(split, opts)(epoch)` iterates the batches of
 * one epoch, shuffled (unless `shuffle: false`) with seed `seed + epoch`. Batches are owned by the caller.
 */
export function epochBatches(split: Split, options: BatchOptions): (epoch: number) => Iterable<Batch> {
  checkInt('batchSize', options.batchSize, 1);
  resolveLayout(split, options);
  const seed = checkSeed('seed', options.seed ?? DEFAULT_SEED);
  return (epoch) => {
    checkInt('epoch', epoch, 0);
    const perEpoch: BatchOptions = { ...options, shuffle: options.shuffle ?? true, seed: seed + epoch };
    return { [Symbol.iterator]: () => batches(split, perEpoch) };
  };
}

/** The whole split as one `{ x, y }` pair in its stored order; the caller disposes both tensors. */
export function toTensors(split: Split, options: TensorOptions = {}): Batch {
  return makeBatch(split, identity(split.count), resolveLayout(split, options));
}

interface Layout {
  sampleShape: number[];
  size: number;
  numClasses: number;
}

/** Checks the split against the options once, before any tensor is made. */
function resolveLayout(split: Split, options: TensorOptions): Layout {
  const shape = [...(options.imageShape ?? split.shape ?? [28, 28, 1])];
  shape.forEach((d, i) => checkInt(`imageShape[${i}]`, d, 1));
  const numClasses = options.numClasses ?? split.numClasses ?? 10;
  checkInt('numClasses', numClasses, 1, 256);
  checkInt('count', split.count, 0);
  const size = shape.reduce((a, b) => a * b, 1);
  if (split.images.length !== split.count * size) {
    throw new DatasetError(`images hold ${split.images.length} values, expected count ${split.count} x ${size} (shape [${shape.join(', ')}])`);
  }
  if (split.labels.length !== split.count) {
    throw new DatasetError(`labels hold ${split.labels.length} values, expected count ${split.count}`);
  }
  const bad = split.labels.findIndex((label) => label >= numClasses);
  if (bad >= 0) throw new DatasetError(`label ${split.labels[bad]} at ${bad} is outside 0 .. ${numClasses - 1}`);
  return { sampleShape: options.flatten ? [size] : shape, size, numClasses };
}

/** Copies the samples at `indices` into fresh `x` and one-hot `y` tensors (no intermediates). */
function makeBatch(split: Split, indices: Uint32Array, layout: Layout): Batch {
  const { size, numClasses } = layout;
  const n = indices.length;
  const x = new Float32Array(n * size);
  const y = new Float32Array(n * numClasses);
  indices.forEach((index, i) => {
    x.set(split.images.subarray(index * size, (index + 1) * size), i * size);
    y[i * numClasses + (split.labels[index] ?? 0)] = 1;
  });
  return { x: tf.tensor(x, [n, ...layout.sampleShape], 'float32'), y: tf.tensor2d(y, [n, numClasses], 'float32') };
}

function identity(n: number): Uint32Array {
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return indices;
}
