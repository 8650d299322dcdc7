import { ConfigError, IoError, shuffledIndices } from '@bonsai/core';
import { arrayDataset, imageFolder, readNpyFile, type Dataset, type Preprocess, type Split } from '@bonsai/datasets';
import { stat } from 'node:fs/promises';
import { fitToModel, type DataSplits, type LoadDataContext } from './data';
import { resolvePath } from './model-source';
import type { Recipe } from './recipe';

/** Samples read from files before splitting: `[n, ...shape]` values and optional labels. */
export interface FileSamples {
  images: Float32Array;
  shape: number[];
  count: number;
  labels?: Uint8Array;
}

/** Largest number of values the CLI holds in memory for file data (256 MiB of float32). */
const MAX_FILE_VALUES = 64 * 1024 * 1024;

/** @bonsai/datasets' preset for a recipe preset (`none` = raw pixel values for images; unset = `[0,1]`). */
function preset(p: Recipe['data']['preprocess']): Preprocess {
  return p === 'none' ? '[0,255]' : (p ?? '[0,1]');
}

/** Reads a streaming dataset into memory, one batch at a time (bounded by {@link MAX_FILE_VALUES}). */
async function materialize(ds: Dataset, shown: string): Promise<FileSamples> {
  const shape = ds.sampleShape.length === 2 ? [...ds.sampleShape, 1] : [...ds.sampleShape];
  const size = shape.reduce((a, b) => a * b, 1);
  if (ds.size * size > MAX_FILE_VALUES) {
    throw new ConfigError(`${shown}: ${ds.size} samples of [${shape.join(', ')}] need ${((ds.size * size * 4) / 2 ** 20).toFixed(0)} MiB; the CLI holds at most 256 MiB of samples (use --train-size/--test-size on a smaller selection, or a smaller --input-size)`, { path: shown });
  }
  const images = new Float32Array(ds.size * size);
  const labels = ds.labeled ? new Uint8Array(ds.size) : undefined;
  for await (const b of ds.batches({ batchSize: 64, prefetch: 1 })) {
    try {
      const values = await b.x.data();
      b.indices.forEach((k, i) => images.set(values.subarray(i * size, (i + 1) * size), k * size));
      if (labels && b.labels) b.labels.forEach((l, i) => (labels[b.indices[i]!] = l));
    } finally {
      b.x.dispose();
      b.y?.dispose();
    }
  }
  return { images, shape, count: ds.size, labels };
}

/**
 * Reads a .npy (samples, unlabeled) or .npz (`x` or `images`, optional `y` or `labels`) file with
 * @bonsai/datasets. Integer arrays are pixels and get the preprocessing preset; float arrays are
 * used as stored.
 */
export async function readArrayFile(full: string, shown: string, p: Recipe['data']['preprocess']): Promise<FileSamples> {
  const arrays = await readNpyFile(full);
  const x = arrays.get('x') ?? arrays.get('images') ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined);
  if (!x) throw new ConfigError(`${shown}: no "x" (or "images") array; it holds ${[...arrays.keys()].map((k) => `"${k}"`).join(', ')}`, { path: shown });
  const y = x === arrays.get('y') ? undefined : (arrays.get('y') ?? arrays.get('labels'));
  const pixels = !x.dtype.startsWith('float');
  const ds = arrayDataset(x, y, pixels && p !== 'none' ? { preprocess: preset(p) } : {});
  return materialize(ds, shown);
}

/** Seeded split of samples into train and test {@link Split}s. */
export function splitSamples(s: FileSamples, testFraction: number, seed: number, numClasses: number): { train: Split; test: Split } {
  const order = shuffledIndices(s.count, seed);
  const nTest = s.count < 2 ? 0 : Math.max(1, Math.round(s.count * testFraction));
  const size = s.shape.reduce((a, b) => a * b, 1);
  const take = (idx: Uint32Array): Split => {
    const images = new Float32Array(idx.length * size);
    const labels = new Uint8Array(idx.length);
    idx.forEach((k, i) => {
      images.set(s.images.subarray(k * size, (k + 1) * size), i * size);
      labels[i] = s.labels?.[k] ?? 0;
    });
    return { images, labels, count: idx.length, shape: s.shape, numClasses };
  };
  return { test: take(order.subarray(0, nTest)), train: take(order.subarray(nTest)) };
}

/**
 * Loads `data.path`: an image folder or a .npy/.npz file, preprocessed with `data.preprocess`,
 * split (seeded) into train/test by `data.testFraction` and shaped for the model.
 * @throws IoError when the path is missing; ConfigError on unusable contents.
 */
export async function loadDataFiles(data: Recipe['data'], ctx: LoadDataContext): Promise<DataSplits> {
  const shown = data.path!;
  const full = resolvePath(ctx.cwd, shown);
  let isDir: boolean;
  try {
    isDir = (await stat(full)).isDirectory();
  } catch (e) {
    throw new IoError('cannot read the data', { path: shown, reason: (e as NodeJS.ErrnoException).code, cause: e });
  }
  let samples: FileSamples;
  if (isDir) {
    const want = ctx.inputShape;
    const channels = want?.[2] === 1 || want?.[2] === 3 ? want[2] : undefined;
    const size = data.inputSize ?? (want?.length === 3 ? ([want[0]!, want[1]!] as [number, number]) : undefined);
    samples = await materialize(await imageFolder(full, { size, channels, preprocess: preset(data.preprocess) }), shown);
  } else if (/\.(npy|npz)$/i.test(full)) samples = await readArrayFile(full, shown, data.preprocess);
  else throw new ConfigError(`${shown}: unsupported data file (expected an image folder, .npy or .npz)`, { path: shown });
  if (samples.count === 0) throw new ConfigError(`${shown}: holds no samples`, { path: shown });
  const labeled = samples.labels !== undefined;
  const maxLabel = samples.labels ? Math.max(...samples.labels) : -1;
  const numClasses = ctx.numClasses ?? maxLabel + 1;
  if (labeled && maxLabel >= numClasses) throw new ConfigError(`${shown}: label ${maxLabel} does not fit the model's ${numClasses} outputs`, { path: shown });
  const { train, test } = splitSamples(samples, data.testFraction, data.seed, Math.max(1, numClasses));
  const cut = (s: Split, n: number | undefined): Split => {
    if (n === undefined || n >= s.count) return s;
    const size = samples.shape.reduce((a, b) => a * b, 1);
    return { ...s, images: s.images.subarray(0, n * size), labels: s.labels.subarray(0, n), count: n };
  };
  const d: DataSplits = {
    name: `${shown}${labeled ? '' : ' (unlabeled)'}`,
    train: cut(train, data.trainSize),
    test: cut(test, data.testSize),
    imageShape: samples.shape,
    numClasses: Math.max(1, numClasses),
    labeled,
    batchSize: data.batchSize,
    seed: data.seed,
  };
  return fitToModel(d, { ...ctx, inputShape: data.inputSize && ctx.inputShape ? [...data.inputSize, ctx.inputShape[2]!] : ctx.inputShape });
}
