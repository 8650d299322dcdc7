import { ShapeError } from '@bonsai/core';
import { Dataset } from './dataset';
import { DatasetError } from './errors';
import { resolvePreprocess, type Preprocess } from './image/preprocess';
import type { NpyArray, NpyData } from './npy/npy';

/** An array and its shape (a parsed `.npy`, or values you hold). */
export interface ShapedArray {
  data: NpyData | ArrayLike<number>;
  shape: readonly number[];
}

/** Options of {@link arrayDataset}. */
export interface ArrayDatasetOptions {
  /** Reshape each sample to this (same number of values), e.g. `[28, 28, 1]` for `[n, 28, 28]` data. */
  sampleShape?: readonly number[];
  /** Normalize values along the last axis like images (default: values as stored). */
  preprocess?: Preprocess;
  /** Class names (default `'0' .. 'k-1'`, k = largest label + 1 or the one-hot width). */
  classes?: readonly string[];
}

/**
 * In-memory samples (e.g. parsed `.npy`) as a {@link Dataset} with the same streaming API as
 * image folders. `x` is `[n, ...sample]`; optional `y` holds class indices (`[n]` or `[n, 1]`)
 * or one-hot rows (`[n, k]`).
 * @throws ShapeError when shapes do not fit; DatasetError for labels that are not class indices or one-hot.
 */
export function arrayDataset(x: ShapedArray | NpyArray, y?: ShapedArray | NpyArray, options: ArrayDatasetOptions = {}): Dataset {
  const [n = 0, ...rest] = x.shape;
  if (x.shape.length < 2) throw new ShapeError(`x must be [n, ...sample], got shape [${x.shape.join(', ')}]`);
  const size = rest.reduce((a, b) => a * b, 1);
  if (x.data.length !== n * size) throw new ShapeError(`x holds ${x.data.length} values, shape [${x.shape.join(', ')}] needs ${n * size}`);
  const sampleShape = options.sampleShape ? [...options.sampleShape] : rest;
  if (sampleShape.reduce((a, b) => a * b, 1) !== size) {
    throw new ShapeError(`sampleShape [${sampleShape.join(', ')}] does not hold the ${size} values of a sample of shape [${rest.join(', ')}]`);
  }
  const channels = sampleShape[sampleShape.length - 1] ?? 1;
  const norm = options.preprocess === undefined ? undefined : resolvePreprocess(options.preprocess, channels);
  const labels = y ? toLabels(y, n) : undefined;
  const classes = labels ? classNames(labels, y as ShapedArray, options.classes) : undefined;
  const data = x.data;
  return new Dataset({
    sampleShape,
    classes,
    labels,
    count: n,
    concurrency: 1,
    name: (index) => `sample ${index}`,
    load(index, out, offset) {
      for (let j = 0; j < size; j++) {
        const v = data[index * size + j] as number;
        const c = j % channels;
        out[offset + j] = norm ? v * (norm.mul[c] as number) + (norm.add[c] as number) : v;
      }
    },
  });
}

function toLabels(y: ShapedArray, n: number): Int32Array {
  const [rows, width = 1, ...more] = y.shape;
  if (rows !== n || more.length > 0 || y.data.length !== n * width) {
    throw new ShapeError(`y must be [${n}], [${n}, 1] or one-hot [${n}, k], got shape [${y.shape.join(', ')}]`);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      const v = y.data[i] as number;
      if (!Number.isInteger(v) || v < 0) throw new DatasetError(`label ${v} at ${i} is not a class index (a non-negative integer)`);
      labels[i] = v;
      continue;
    }
    let hot = -1;
    for (let k = 0; k < width; k++) {
      const v = y.data[i * width + k] as number;
      if (v === 1 && hot < 0) hot = k;
      else if (v !== 0) hot = -2;
    }
    if (hot < 0) throw new DatasetError(`y row ${i} is not one-hot`);
    labels[i] = hot;
  }
  return labels;
}

function classNames(labels: Int32Array, y: ShapedArray, given: readonly string[] | undefined): string[] {
  const width = y.shape[1] ?? 1;
  const k = width > 1 ? width : labels.reduce((m, v) => Math.max(m, v + 1), 0);
  if (!given) return Array.from({ length: k }, (_, i) => String(i));
  if (given.length < k) throw new DatasetError(`classes names ${given.length} classes, labels use ${k}`);
  return [...given];
}
