import { stat } from 'node:fs/promises';
import { IoError } from '@bonsai/core';
import type { Dataset } from '../dataset';
import { DatasetError } from '../errors';
import { imageFolder, type ImageFolderOptions } from './image-folder';
import { npyDataset, type NpyDatasetOptions } from './npy-file';

/** Options of {@link openDataset}: those of `imageFolder` for folders, of `npyDataset` for files. */
export type OpenDatasetOptions = ImageFolderOptions & NpyDatasetOptions;

/**
 * Opens `path` as a {@link Dataset}: a folder with {@link imageFolder}, a `.npy`/`.npz` file with
 * {@link npyDataset} (what a CLI's `--data <folder | file.npy | file.npz>` needs).
 * @throws IoError when `path` does not exist; DatasetError for another kind of file.
 */
export async function openDataset(path: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (cause) {
    throw new IoError('cannot open data', { path, reason: (cause as NodeJS.ErrnoException).code, cause });
  }
  if (isDir) return imageFolder(path, options);
  if (/\.(npy|npz)$/i.test(path)) return npyDataset(path, options);
  throw new DatasetError('data must be an image folder or a .npy / .npz file', path);
}
