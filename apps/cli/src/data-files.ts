import { ConfigError, IoError, shuffledIndices } from '@bonsai/core';
import * as datasets from '@bonsai/datasets';
import type { Split } from '@bonsai/datasets';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { fitToModel, type DataSplits, type LoadDataContext } from './data';
import { resolvePath } from './model-source';
import { parseNpy, parseNpz, type NpyArray } from './npy';
import type { Recipe } from './recipe';

/** Samples read from files before splitting: `[n, ...shape]` values and optional labels. */
export interface FileSamples {
  images: Float32Array;
  shape: number[];
  count: number;
  labels?: Uint8Array;
  /** True when the values are integer pixels (0..255) that the preprocessing preset scales. */
  pixels: boolean;
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Applies a preprocessing preset in place: pixels are first scaled to [0, 1]. */
export function preprocess(s: FileSamples, preset: Recipe['data']['preprocess']): void {
  if (preset === 'none') return;
  const x = s.images;
  const c = s.shape.at(-1) ?? 1;
  const scale = s.pixels ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * scale;
    if (preset === '[0,1]') x[i] = v;
    else if (preset === '[-1,1]') x[i] = v * 2 - 1;
    else x[i] = (v - IMAGENET_MEAN[i % c % 3]!) / IMAGENET_STD[i % c % 3]!;
  }
}

function fromNpy(x: NpyArray, y: NpyArray | undefined, file: string): FileSamples {
  if (x.shape.length < 2) throw new ConfigError(`${file}: the samples array needs shape [n, ...sample], got [${x.shape.join(', ')}]`, { file });
  let shape = x.shape.slice(1);
  if (shape.length === 2) shape = [...shape, 1];
  const count = x.shape[0]!;
  let labels: Uint8Array | undefined;
  if (y) {
    if (y.shape.length !== 1 || y.shape[0] !== count || !y.integer) throw new ConfigError(`${file}: labels must be integers of shape [${count}], got ${y.dtype} [${y.shape.join(', ')}]`, { file });
    labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const v = y.data[i]!;
      if (v < 0 || v > 255) throw new ConfigError(`${file}: label ${v} at ${i} is outside 0 .. 255`, { file });
      labels[i] = v;
    }
  }
  return { images: x.data, shape, count, labels, pixels: x.dtype.endsWith('u1') };
}

/** Reads a .npy (samples, unlabeled) or .npz (`x` or `images`, optional `y` or `labels`) file. */
export async function readArrayFile(full: string, shown: string): Promise<FileSamples> {
  const bytes = new Uint8Array(await readFile(full));
  if (extname(full).toLowerCase() === '.npy') return fromNpy(parseNpy(bytes, shown), undefined, shown);
  const arrays = parseNpz(bytes, shown);
  const x = arrays.get('x') ?? arrays.get('images') ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined);
  if (!x) throw new ConfigError(`${shown}: no "x" (or "images") array; it holds ${[...arrays.keys()].map((k) => `"${k}"`).join(', ')}`, { file: shown });
  return fromNpy(x, arrays.get('y') ?? arrays.get('labels'), shown);
}

type FolderReader = (dir: string, options: { size?: [number, number]; channels?: number }) => Promise<FileSamples>;

/** @bonsai/datasets' image-folder reader, once it exists (it is being written alongside this CLI). */
function folderReader(): FolderReader | undefined {
  const f = (datasets as unknown as Record<string, unknown>).readImageFolderSamples;
  return typeof f === 'function' ? (f as FolderReader) : undefined;
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
    const reader = folderReader();
    if (!reader) throw new ConfigError(`${shown}: image folders need @bonsai/datasets' image-folder reader, which this build does not have yet; use a .npy/.npz file`, { path: shown });
    const want = ctx.inputShape;
    samples = await reader(full, { size: data.inputSize ?? (want ? [want[0]!, want[1]!] : undefined), channels: want?.[2] });
  } else if (/\.(npy|npz)$/i.test(full)) samples = await readArrayFile(full, shown);
  else throw new ConfigError(`${shown}: unsupported data file (expected an image folder, .npy or .npz)`, { path: shown });
  if (samples.count === 0) throw new ConfigError(`${shown}: holds no samples`, { path: shown });
  preprocess(samples, data.preprocess);
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
