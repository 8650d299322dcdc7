import { readFile } from 'node:fs/promises';
import { BonsaiError, IoError } from '@bonsai/core';
import { arrayDataset, type ArrayDatasetOptions } from '../array-dataset';
import type { Dataset } from '../dataset';
import { DatasetError } from '../errors';
import { parseNpy, type NpyArray } from '../npy/npy';
import { parseNpz } from '../npy/npz';

/** Options of {@link npyDataset}. */
export interface NpyDatasetOptions extends ArrayDatasetOptions {
  /** A `.npy` of labels for a `.npy` input (class indices or one-hot). */
  labels?: string;
  /** `.npz` member holding the samples (default `x`, or the only member). */
  xKey?: string;
  /** `.npz` member holding the labels (default `y` when present; none: unlabeled). */
  yKey?: string;
}

/** Reads a `.npy` or `.npz` file (Node) into parsed arrays; `.npz` gives one entry per member. */
export async function readNpyFile(file: string): Promise<Map<string, NpyArray>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new IoError('cannot read array file', { path: file, reason: (cause as NodeJS.ErrnoException).code, cause });
  }
  if (file.toLowerCase().endsWith('.npz')) return parseNpz(bytes, file);
  return new Map([['x', parseNpy(bytes, file)]]);
}

/**
 * A `.npy` (samples, optional `labels` file) or `.npz` (members `xKey`/`yKey`) as a {@link Dataset}.
 * @throws IoError for unreadable files; DatasetError naming the file for bad contents or missing members.
 */
export async function npyDataset(file: string, options: NpyDatasetOptions = {}): Promise<Dataset> {
  const arrays = await readNpyFile(file);
  let x: NpyArray | undefined;
  let y: NpyArray | undefined;
  if (file.toLowerCase().endsWith('.npz')) {
    const keys = [...arrays.keys()];
    const xKey = options.xKey ?? (arrays.has('x') ? 'x' : keys.length === 1 ? keys[0] : undefined);
    x = xKey === undefined ? undefined : arrays.get(xKey);
    if (!x) throw new DatasetError(`no samples member ${xKey === undefined ? '(pass xKey)' : `"${xKey}"`}; members: ${keys.join(', ')}`, file);
    const yKey = options.yKey ?? (arrays.has('y') && xKey !== 'y' ? 'y' : undefined);
    y = yKey === undefined ? undefined : arrays.get(yKey);
    if (yKey !== undefined && !y) throw new DatasetError(`no labels member "${yKey}"; members: ${keys.join(', ')}`, file);
  } else {
    x = arrays.get('x');
    if (options.labels) {
      if (options.labels.toLowerCase().endsWith('.npz')) throw new DatasetError('labels must be a .npy file (for an .npz, pass the .npz itself with yKey)', options.labels);
      y = (await readNpyFile(options.labels)).get('x');
    }
  }
  try {
    return arrayDataset(x as NpyArray, y, options);
  } catch (cause) {
    throw cause instanceof BonsaiError ? cause.withContext(file, { file }) : cause;
  }
}
