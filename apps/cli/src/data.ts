import { ShapeError } from '@bonsai/core';
import { arrayDataset, loadMnist, MNIST_TRAIN_FRACTION, syntheticClassification, type Dataset, type Split } from '@bonsai/datasets';
import { loadDataFiles } from './data-files';
import { UsageError } from './errors';
import { fitDataset } from './fit-source';
import type { Recipe } from './recipe';

/**
 * One part of the data (training or held-out) as a stream: samples are read (decoded, resized)
 * batch by batch when a step needs them, never all at once.
 */
export interface DataPart {
  /** The samples, shaped for the model. */
  dataset: Dataset;
  /**
   * Class index of every sample, by position in {@link dataset}: the labels, or for unlabeled data
   * the input model's top-1 class (filled in by the pipeline), looked up by batch index.
   */
  labels: Int32Array;
  /** Number of samples. */
  count: number;
}

/** Train and held-out parts of the recipe's data, streamed. */
export interface DataSplits {
  name: string;
  train: DataPart;
  test: DataPart;
  imageShape: number[];
  numClasses: number;
  /**
   * False for data without labels (a flat image folder, an npz/npy without `y`): the parts then
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

/** A part over `dataset` with the given class indices (or zeros until the pipeline fills in pseudo-labels). */
export function dataPart(dataset: Dataset, labels?: ArrayLike<number>): DataPart {
  return { dataset, labels: labels ? Int32Array.from(labels) : new Int32Array(dataset.size), count: dataset.size };
}

/** An in-memory split (MNIST, synthetic) as a part shaped for the model (resized per sample when it must be). */
function splitPart(s: Split, shape: readonly number[], want: readonly number[] | undefined, name: string): DataPart {
  const ds = arrayDataset({ data: s.images, shape: [s.count, ...shape] });
  return dataPart(want ? fitDataset(ds, want, name) : ds, s.labels);
}

/**
 * `--data mnist|synthetic` hold 10 classes: a model whose first output is not 10 wide cannot be
 * scored on them. `runRecipe` checks this before any other work.
 * @throws UsageError naming the model's output shape and what to pass instead.
 */
export function checkBuiltinFits(dataset: string, outputShape: readonly number[] | undefined): void {
  if (!outputShape || (outputShape.length === 1 && outputShape[0] === 10)) return;
  throw new UsageError(`--data ${dataset} has 10 classes, but the model's first output is [?, ${outputShape.join(', ')}], not [?, 10]; pass your own data instead: --data <folder> (images; class subfolders for accuracy, a flat folder to compare with the model's own outputs) or --data <file.npy|file.npz>`);
}

/**
 * Loads the recipe's data as streamed parts: `mnist` (the 8000/2000 split of the `mnist`
 * package), `synthetic` (a separable toy set) or files (`data.path`: an image folder or a
 * .npy/.npz file, shaped for the model).
 * @throws UsageError when a requested size exceeds the split.
 */
export const loadData: DataLoader = async (data, ctx) => {
  if (data.path !== undefined) return loadDataFiles(data, ctx);
  const shape = [28, 28, 1];
  const want = checkFit(shape, ctx.inputShape, data.dataset);
  const common = { imageShape: want ? [...want] : shape, numClasses: 10, labeled: true, batchSize: data.batchSize, seed: data.seed };
  const suffix = want ? ` (resized to ${want.join('x')})` : '';
  if (data.dataset === 'synthetic') {
    const train = syntheticClassification({ count: data.trainSize ?? 1000, shape, numClasses: 10, seed: data.seed });
    const test = syntheticClassification({ count: data.testSize ?? 200, shape, numClasses: 10, seed: data.seed + 1 });
    return { name: `synthetic${suffix}`, train: splitPart(train, shape, want, 'synthetic'), test: splitPart(test, shape, want, 'synthetic'), ...common };
  }
  checkSize(data.trainSize, MNIST_TRAIN, '--train-size', 'the MNIST training split');
  checkSize(data.testSize, MNIST_TOTAL - MNIST_TRAIN, '--test-size', 'the MNIST test split');
  const mnist = loadMnist({ seed: data.seed, trainSize: data.trainSize, testSize: data.testSize });
  return { name: `mnist${suffix}`, train: splitPart(mnist.train, shape, want, 'mnist'), test: splitPart(mnist.test, shape, want, 'mnist'), ...common };
};

/**
 * The model's per-sample input shape when the data (`have`) must be converted to it, undefined
 * when they already match (or the model is not known yet).
 * @throws ShapeError when the shapes cannot be matched (rank, channel counts other than 1 <-> 3).
 */
export function checkFit(have: readonly number[], want: readonly number[] | undefined, name: string): readonly number[] | undefined {
  if (!want || want.join() === have.join()) return undefined;
  if (want.length !== 3 || have.length !== 3) {
    throw new ShapeError(`the model expects samples of shape [${want.join(', ')}], the data "${name}" has [${have.join(', ')}]`);
  }
  const [from, c] = [have[2]!, want[2]!];
  if (!(from === c || (from === 1 && c === 3) || (from === 3 && c === 1))) {
    throw new ShapeError(`the model expects ${c} channel(s), the data "${name}" has ${from}`);
  }
  return want;
}
