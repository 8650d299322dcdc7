import { ConfigError, IoError, shuffledIndices } from '@bonsai/core';
import { arrayDataset, imageFolder, readNpyFile, type Dataset, type Preprocess } from '@bonsai/datasets';
import { stat } from 'node:fs/promises';
import { checkFit, dataPart, type DataSplits, type LoadDataContext } from './data';
import { fitDataset } from './fit-source';
import { resolvePath } from './model-source';
import type { Recipe } from './recipe';

/** @bonsai/datasets' preset for a recipe preset (`none` = raw pixel values for images; unset = `[0,1]`). */
function preset(p: Recipe['data']['preprocess']): Preprocess {
  return p === 'none' ? '[0,255]' : (p ?? '[0,1]');
}

/**
 * A .npy (samples, unlabeled) or .npz (`x` or `images`, optional `y` or `labels`) file as a
 * dataset (@bonsai/datasets). The file's arrays are held as stored (e.g. uint8 pixels); samples
 * are converted to float32 batch by batch. Integer arrays are pixels and get the preprocessing
 * preset; float arrays are used as stored. `[n, h, w]` samples get a channel axis.
 */
export async function readArrayFile(full: string, shown: string, p: Recipe['data']['preprocess']): Promise<Dataset> {
  const arrays = await readNpyFile(full);
  const x = arrays.get('x') ?? arrays.get('images') ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined);
  if (!x) throw new ConfigError(`${shown}: no "x" (or "images") array; it holds ${[...arrays.keys()].map((k) => `"${k}"`).join(', ')}`, { path: shown });
  const y = x === arrays.get('y') ? undefined : (arrays.get('y') ?? arrays.get('labels'));
  const pixels = !x.dtype.startsWith('float');
  const sampleShape = x.shape.length === 3 ? [...x.shape.slice(1), 1] : undefined;
  return arrayDataset(x, y, { sampleShape, ...(pixels && p !== 'none' ? { preprocess: preset(p) } : {}) });
}

/** Seeded split of a dataset's positions: the first `round(n * testFraction)` of `shuffledIndices(n, seed)` are held out. */
export function splitPositions(count: number, testFraction: number, seed: number): { train: Uint32Array; test: Uint32Array } {
  const order = shuffledIndices(count, seed);
  const nTest = count < 2 ? 0 : Math.max(1, Math.round(count * testFraction));
  return { test: order.slice(0, nTest), train: order.slice(nTest) };
}

/**
 * Loads `data.path`: an image folder or a .npy/.npz file, preprocessed with `data.preprocess`,
 * split (seeded) into train/held-out parts by `data.testFraction` and shaped for the model.
 * Nothing is decoded here beyond what `imageFolder` reads to learn the sample shape.
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
  const model = ctx.inputShape;
  const want = data.inputSize && model ? [...data.inputSize, model[2]!] : model;
  let ds: Dataset;
  if (isDir) {
    const channels = want?.[2] === 1 || want?.[2] === 3 ? want[2] : undefined;
    const size = data.inputSize ?? (want?.length === 3 ? ([want[0]!, want[1]!] as [number, number]) : undefined);
    ds = await imageFolder(full, { size, channels, preprocess: preset(data.preprocess) });
  } else if (/\.(npy|npz)$/i.test(full)) ds = await readArrayFile(full, shown, data.preprocess);
  else throw new ConfigError(`${shown}: unsupported data file (expected an image folder, .npy or .npz)`, { path: shown });
  if (ds.size === 0) throw new ConfigError(`${shown}: holds no samples`, { path: shown });
  const fit = checkFit(ds.sampleShape, want, shown);
  if (fit) ds = fitDataset(ds, fit, shown);
  const labels = ds.labels();
  const labeled = labels !== undefined;
  const maxLabel = labels ? Math.max(...labels) : -1;
  const numClasses = ctx.numClasses ?? maxLabel + 1;
  if (labeled && maxLabel >= numClasses) throw new ConfigError(`${shown}: label ${maxLabel} does not fit the model's ${numClasses} outputs`, { path: shown });
  const positions = splitPositions(ds.size, data.testFraction, data.seed);
  const part = (p: Uint32Array, n: number | undefined) => {
    const picked = n === undefined || n >= p.length ? p : p.subarray(0, n);
    return dataPart(ds.subset(picked), labels ? Array.from(picked, (i) => labels[i]!) : undefined);
  };
  return {
    name: `${shown}${labeled ? '' : ' (unlabeled)'}${fit && !isDir ? ` (resized to ${fit.join('x')})` : ''}`,
    train: part(positions.train, data.trainSize),
    test: part(positions.test, data.testSize),
    imageShape: [...ds.sampleShape],
    numClasses: Math.max(1, numClasses),
    labeled,
    batchSize: data.batchSize,
    seed: data.seed,
  };
}
