import { createRng, hashSeed, ShapeError, type Model } from '@bonsai/core';
import { trainingStream, type StreamProgress, type TrainingStream } from '@bonsai/datasets';
import * as tf from '@tensorflow/tfjs-core';
import type { DataPart, DataSplits } from './data';

/** One streamed batch of a {@link DataPart}; the consumer disposes `x` and `y`. */
export interface PartBatch {
  /** `[b, ...imageShape]` inputs. */
  x: tf.Tensor;
  /** One-hot `[b, numClasses]` of the part's labels (or pseudo-labels), looked up by index. */
  y: tf.Tensor;
  /** Positions of the samples in the part. */
  indices: Uint32Array;
}

/** Options of {@link partBatches}. */
export interface PartBatchOptions {
  batchSize: number;
  /** Only the first `count` samples of the part (default all). */
  count?: number;
  /** Seeded order (`shuffledIndices(n, seed)`), default the part's order. */
  shuffle?: boolean;
  seed?: number;
  onProgress?: (p: StreamProgress) => void;
}

/** One-hot `[n, depth]` float32 of `labels[indices]`; with `smoothing` s, `(1 - s) * onehot + s / depth`. */
export function oneHot(labels: Int32Array, indices: Uint32Array, depth: number, smoothing = 0): tf.Tensor2D {
  const y = new Float32Array(indices.length * depth).fill(smoothing / depth);
  indices.forEach((k, i) => (y[i * depth + labels[k]!] = 1 - smoothing + smoothing / depth));
  return tf.tensor2d(y, [indices.length, depth], 'float32');
}

/**
 * Streams a part's batches (read, decoded and shaped batch by batch, the next one loading while
 * the caller works): memory holds the batches in flight, whatever the data size.
 */
export async function* partBatches(d: DataSplits, part: DataPart, o: PartBatchOptions): AsyncGenerator<PartBatch> {
  const n = Math.min(o.count ?? part.count, part.count);
  const ds = n < part.count ? part.dataset.subset(Uint32Array.from({ length: n }, (_, i) => i)) : part.dataset;
  for await (const b of ds.batches({ batchSize: o.batchSize, shuffle: o.shuffle, seed: o.seed, prefetch: 1, onProgress: o.onProgress })) {
    b.y?.dispose();
    yield { x: b.x, y: oneHot(part.labels, b.indices, d.numClasses), indices: b.indices };
  }
}

/**
 * The first output of `model` on every sample of `part`, in order, as one `[n, ...]` tensor
 * (outputs are small: the inputs are streamed, the outputs kept). The caller disposes it.
 */
export async function predictPart(model: Model, d: DataSplits, part: DataPart, batchSize: number): Promise<tf.Tensor> {
  const chunks: Float32Array[] = [];
  let shape: number[] = [0, ...model.graph.shape(model.graph.outputs[0]!)];
  for await (const b of partBatches(d, part, { batchSize })) {
    try {
      const out = model.predict(b.x, { batchSize });
      shape = out.shape;
      chunks.push(out.dataSync() as Float32Array);
      out.dispose();
    } finally {
      tf.dispose([b.x, b.y]);
    }
  }
  const all = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return tf.tensor(all, [part.count, ...shape.slice(1)], 'float32');
}

/** Training-time augmentation: random translations of up to `shift` pixels in each direction (zero fill). */
export interface Augment {
  shift: number;
}

/**
 * A seeded shift augmentation for a training stream's `input`: in epoch `e`, the samples of
 * successive batches take offsets `(dy, dx)` in `[-shift, shift]` from
 * `createRng(hashSeed(seed + e, 'shift augmentation'))`, in order; vacated pixels are 0.
 * @throws ShapeError for samples that are not `[h, w, c]`.
 */
export function shiftAugmentation(imageShape: readonly number[], shift: number, seed: number): (x: tf.Tensor, _batch: unknown, epoch: number) => tf.Tensor {
  if (imageShape.length !== 3) throw new ShapeError(`shift augmentation needs [height, width, channels] samples, got [${imageShape.join(', ')}]`);
  const [h, w, c] = imageShape as [number, number, number];
  const size = h * w * c;
  const span = 2 * shift + 1;
  let epochSeen = -1;
  let rng = createRng(0);
  return (x, _batch, epoch) => {
    if (epoch !== epochSeen) {
      epochSeen = epoch;
      rng = createRng(hashSeed(seed + epoch, 'shift augmentation'));
    }
    const src = x.dataSync();
    const n = x.shape[0]!;
    const out = new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      const dy = Math.floor(rng() * span) - shift;
      const dx = Math.floor(rng() * span) - shift;
      for (let r = Math.max(0, dy); r < Math.min(h, h + dy); r++) {
        const from = i * size + ((r - dy) * w + Math.max(0, -dx)) * c;
        out.set(src.subarray(from, from + (w - Math.abs(dx)) * c), i * size + (r * w + Math.max(0, dx)) * c);
      }
    }
    return tf.tensor(out, x.shape, 'float32');
  };
}

/** What {@link trainingData} does to the training batches. */
export interface TrainingDataOptions {
  /** Random shifts of the inputs (none by default). */
  augment?: Augment;
  /** Label smoothing of the one-hot targets (default 0). */
  labelSmoothing?: number;
}

/**
 * The training part as a stream for core's `train()` (datasets' `trainingStream`): epoch `e`
 * visits the samples in the order of `shuffledIndices(count, seed + e)`; targets are the labels
 * (or pseudo-labels) looked up by batch index, smoothed by `labelSmoothing`; with
 * `augment.shift`, inputs are shifted. Pass `data` to `train` and `callback` among its callbacks.
 */
export function trainingData(d: DataSplits, batchSize: number, seed: number, o: TrainingDataOptions = {}): TrainingStream {
  const { augment, labelSmoothing = 0 } = o;
  return trainingStream(d.train.dataset, {
    batchSize,
    seed,
    prefetch: 1,
    target: (_x, b) => oneHot(d.train.labels, b.indices, d.numClasses, labelSmoothing),
    input: augment && augment.shift > 0 ? shiftAugmentation(d.imageShape, augment.shift, seed) : undefined,
  });
}

/** Reads a whole part into tensors (for APIs that need them all at once; the caller disposes). */
export async function partTensors(d: DataSplits, part: DataPart, count = part.count): Promise<{ x: tf.Tensor; y: tf.Tensor }> {
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for await (const b of partBatches(d, part, { batchSize: 64, count })) {
    xs.push(b.x);
    ys.push(b.y);
  }
  if (xs.length === 0) return { x: tf.zeros([0, ...d.imageShape]), y: tf.zeros([0, d.numClasses]) };
  const out = { x: tf.concat(xs), y: tf.concat(ys) };
  tf.dispose([...xs, ...ys]);
  return out;
}
