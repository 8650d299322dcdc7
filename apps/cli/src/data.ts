import { createRng, hashSeed, ShapeError, shuffledIndices } from '@bonsai/core';
import { epochBatches, loadMnist, MNIST_TRAIN_FRACTION, syntheticClassification, toTensors, type Batch, type Split } from '@bonsai/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { loadDataFiles } from './data-files';
import { UsageError } from './errors';
import type { Recipe } from './recipe';

/** Train and test splits of the recipe's data, as plain typed arrays. */
export interface DataSplits {
  name: string;
  train: Split;
  test: Split;
  imageShape: number[];
  numClasses: number;
  /**
   * False for data without labels (a flat image folder, an npz/npy without `y`): the splits then
   * carry the original model's top-1 classes as stand-in labels (used only where a loss needs a
   * target, e.g. Taylor importance); fine-tuning distils from the original model and evaluation
   * reports agreement with it, never accuracy.
   */
  labeled: boolean;
  /** Default batch size of training steps. */
  batchSize: number;
  seed: number;
}

/** What {@link loadData} needs besides the recipe's `data` section. */
export interface LoadDataContext {
  cwd: string;
  /** Per-sample input shape of the model, when the model was read first (files are resized to it). */
  inputShape?: readonly number[];
  /** Number of outputs of the model, when known (labels must fit). */
  numClasses?: number;
}

/** Loads a recipe's data; injectable so tests can see when (and whether) data is read. */
export type DataLoader = (data: Recipe['data'], ctx: LoadDataContext) => Promise<DataSplits>;

const MNIST_TOTAL = 10000;
const MNIST_TRAIN = Math.round(MNIST_TOTAL * MNIST_TRAIN_FRACTION);

function checkSize(value: number | undefined, max: number, flag: string, what: string): void {
  if (value !== undefined && value > max) throw new UsageError(`option "${flag}" (data.${flag === '--train-size' ? 'trainSize' : 'testSize'}) must be <= ${max}, the size of ${what}, got ${value}`);
}

/**
 * Loads the recipe's data: `mnist` (the 8000/2000 split of the `mnist` package), `synthetic` (a
 * separable toy set) or files (`data.path`: an image folder or a .npy/.npz file, shaped for the model).
 * @throws UsageError when a requested size exceeds the split.
 */
export const loadData: DataLoader = async (data, ctx) => {
  if (data.path !== undefined) return loadDataFiles(data, ctx);
  const shape = [28, 28, 1];
  if (data.dataset === 'synthetic') {
    const train = syntheticClassification({ count: data.trainSize ?? 1000, shape, numClasses: 10, seed: data.seed });
    const test = syntheticClassification({ count: data.testSize ?? 200, shape, numClasses: 10, seed: data.seed + 1 });
    return fitToModel({ name: 'synthetic', train, test, imageShape: shape, numClasses: 10, labeled: true, batchSize: data.batchSize, seed: data.seed }, ctx);
  }
  checkSize(data.trainSize, MNIST_TRAIN, '--train-size', 'the MNIST training split');
  checkSize(data.testSize, MNIST_TOTAL - MNIST_TRAIN, '--test-size', 'the MNIST test split');
  const mnist = loadMnist({ seed: data.seed, trainSize: data.trainSize, testSize: data.testSize });
  return fitToModel({ name: 'mnist', train: mnist.train, test: mnist.test, imageShape: [...mnist.imageShape], numClasses: mnist.numClasses, labeled: true, batchSize: data.batchSize, seed: data.seed }, ctx);
};

/** Largest resized copy of a split made in memory (values). */
const MAX_RESIZED_VALUES = 64 * 1024 * 1024;

/**
 * Resizes (bilinear) and converts channels (1 -> 3 by repetition, 3 -> 1 by luma) so the samples
 * match the model's input shape; returns `d` itself when they already do.
 * @throws ShapeError when the shapes cannot be matched or the copy would be too large.
 */
export function fitToModel(d: DataSplits, ctx: LoadDataContext): DataSplits {
  const want = ctx.inputShape;
  if (!want || want.join() === d.imageShape.join()) return d;
  if (want.length !== 3 || d.imageShape.length !== 3) {
    throw new ShapeError(`the model expects samples of shape [${want.join(', ')}], the data "${d.name}" has [${d.imageShape.join(', ')}]`);
  }
  const [h, w, c] = want as [number, number, number];
  const from = d.imageShape[2]!;
  if (!((from === c) || (from === 1 && c === 3) || (from === 3 && c === 1))) {
    throw new ShapeError(`the model expects ${c} channel(s), the data "${d.name}" has ${from}`);
  }
  const size = h * w * c;
  if ((d.train.count + d.test.count) * size > MAX_RESIZED_VALUES) {
    throw new ShapeError(`resizing "${d.name}" to the model's [${want.join(', ')}] needs ${(((d.train.count + d.test.count) * size * 4) / 2 ** 20).toFixed(0)} MiB; use --train-size/--test-size to take fewer samples`);
  }
  const convert = (s: Split): Split => {
    const images = new Float32Array(s.count * size);
    for (let i = 0; i < s.count; i += 256) {
      const n = Math.min(256, s.count - i);
      const chunk = tf.tidy(() => {
        let x: tf.Tensor4D = tf.tensor4d(s.images.subarray(i * d.imageShape.reduce((a, b) => a * b, 1), (i + n) * d.imageShape.reduce((a, b) => a * b, 1)), [n, ...(d.imageShape as [number, number, number])]);
        if (x.shape[1] !== h || x.shape[2] !== w) x = tf.image.resizeBilinear(x, [h, w], false, true);
        if (from === 1 && c === 3) x = tf.tile(x, [1, 1, 1, 3]);
        if (from === 3 && c === 1) x = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
        return x;
      });
      images.set(chunk.dataSync(), i * size);
      chunk.dispose();
    }
    return { images, labels: s.labels, count: s.count, shape: want, numClasses: s.numClasses };
  };
  return { ...d, name: `${d.name} (resized to ${h}x${w}x${c})`, train: convert(d.train), test: convert(d.test), imageShape: [...want] };
}

/** Training-time augmentation: random translations of up to `shift` pixels in each direction (zero fill). */
export interface Augment {
  shift: number;
}

/**
 * Shuffled training batches per epoch (the caller, i.e. core's train, disposes them). Epoch `e`
 * visits the samples in the order of core's `shuffledIndices(count, seed + e)`, as datasets'
 * `epochBatches` does; with `augment.shift` each sample is translated by a seeded random offset.
 */
export function trainBatches(d: DataSplits, batchSize: number, seed = d.seed, augment?: Augment): (epoch: number) => Iterable<Batch> {
  if (!augment || augment.shift === 0) return epochBatches(d.train, { batchSize, seed, imageShape: d.imageShape, numClasses: d.numClasses });
  const [h, w, c] = d.imageShape as [number, number, number];
  if (d.imageShape.length !== 3) throw new ShapeError(`shift augmentation needs [height, width, channels] samples, got [${d.imageShape.join(', ')}]`);
  const size = h * w * c;
  const span = 2 * augment.shift + 1;
  const { images, labels, count } = d.train;
  return (epoch) => ({
    *[Symbol.iterator]() {
      const order = shuffledIndices(count, seed + epoch);
      const rng = createRng(hashSeed(seed + epoch, "shift augmentation"));
      for (let start = 0; start < count; start += batchSize) {
        const idx = order.subarray(start, Math.min(count, start + batchSize));
        const x = new Float32Array(idx.length * size);
        const y = new Float32Array(idx.length * d.numClasses);
        idx.forEach((k, i) => {
          const dy = Math.floor(rng() * span) - augment.shift;
          const dx = Math.floor(rng() * span) - augment.shift;
          const src = k * size;
          const dst = i * size;
          for (let r = Math.max(0, dy); r < Math.min(h, h + dy); r++) {
            const from = src + ((r - dy) * w + Math.max(0, -dx)) * c;
            x.set(images.subarray(from, from + (w - Math.abs(dx)) * c), dst + (r * w + Math.max(0, dx)) * c);
          }
          y[i * d.numClasses + labels[k]!] = 1;
        });
        yield { x: tf.tensor(x, [idx.length, h, w, c], 'float32'), y: tf.tensor2d(y, [idx.length, d.numClasses], 'float32') };
      }
    },
  });
}

/** The whole test split as tensors; the caller disposes both. */
export function testTensors(d: DataSplits): Batch {
  return toTensors(d.test, { imageShape: d.imageShape, numClasses: d.numClasses });
}

/** The first `count` training samples as tensors (calibration); the caller disposes both. */
export function calibrationTensors(d: DataSplits, count: number): Batch {
  const n = Math.min(count, d.train.count);
  const size = d.imageShape.reduce((a, b) => a * b, 1);
  const split: Split = { images: d.train.images.subarray(0, n * size), labels: d.train.labels.subarray(0, n), count: n };
  return toTensors(split, { imageShape: d.imageShape, numClasses: d.numClasses });
}
