import { epochBatches, loadMnist, syntheticClassification, toTensors, type Batch, type Split } from '@bonsai/datasets';
import type { Recipe } from './recipe';

/** Train and test splits of the recipe's dataset, as plain typed arrays. */
export interface DataSplits {
  name: string;
  train: Split;
  test: Split;
  imageShape: number[];
  numClasses: number;
  /** Default batch size of training steps. */
  batchSize: number;
  seed: number;
}

/** Loads the recipe's dataset (`mnist`: the 8000/2000 split of the `mnist` package; `synthetic`: a separable toy set). */
export function loadData(data: Recipe['data']): DataSplits {
  if (data.dataset === 'synthetic') {
    const shape = [28, 28, 1];
    const train = syntheticClassification({ count: data.trainSize ?? 1000, shape, numClasses: 10, seed: data.seed });
    const test = syntheticClassification({ count: data.testSize ?? 200, shape, numClasses: 10, seed: data.seed + 1 });
    return { name: 'synthetic', train, test, imageShape: shape, numClasses: 10, batchSize: data.batchSize, seed: data.seed };
  }
  const mnist = loadMnist({ seed: data.seed, trainSize: data.trainSize, testSize: data.testSize });
  return { name: 'mnist', train: mnist.train, test: mnist.test, imageShape: [...mnist.imageShape], numClasses: mnist.numClasses, batchSize: data.batchSize, seed: data.seed };
}

/** Shuffled training batches per epoch (the caller, i.e. core's train, disposes them). */
export function trainBatches(d: DataSplits, batchSize: number, seed = d.seed): (epoch: number) => Iterable<Batch> {
  return epochBatches(d.train, { batchSize, seed, imageShape: d.imageShape, numClasses: d.numClasses });
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
