import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IoError } from '@bonsai/core';
import { DatasetError } from '../errors';
import type { ImageEntry, ImageListing } from '../image/image-source';
import { formatOfName } from '../image/raw-image';
import { sortNames } from '../sort-names';

/** Options of {@link scanImageFolder}. */
export interface ScanOptions {
  labels?: 'inferred' | 'none';
  classNames?: readonly string[];
  skipUnsupported?: boolean;
}

/**
 * Lists an image folder: with `labels: 'inferred'` and subfolders, one class per subfolder
 * (sorted by name, class index = position; images found at any depth inside); otherwise every
 * image at any depth, unlabeled. Hidden files and folders (".name") are ignored.
 * @throws IoError when `dir` cannot be read; DatasetError for an empty folder or class, images
 *   beside class folders, an unknown class name, or (unless skipped) a file that is not a supported image.
 */
export async function scanImageFolder(dir: string, options: ScanOptions = {}): Promise<ImageListing> {
  const labels = options.labels ?? 'inferred';
  if (labels !== 'inferred' && labels !== 'none') throw new DatasetError(`labels must be "inferred" or "none", got ${JSON.stringify(labels)}`);
  const top = await list(dir);
  if (labels === 'none' || top.dirs.length === 0) {
    if (options.classNames) throw new DatasetError('classNames given but the folder has no class subfolders', dir);
    const entries = (await walk(dir, options)).map((name): ImageEntry => ({ name }));
    if (entries.length === 0) throw new DatasetError('no images found (expected .jpg, .jpeg, .png or .webp files, or one subfolder per class)', dir);
    return { entries };
  }
  const loose = top.files.find((f) => formatOfName(f) !== undefined);
  if (loose) throw new DatasetError('image beside class folders: move it into a class folder, or pass labels: "none"', join(dir, loose));
  const classes = options.classNames ? [...options.classNames] : sortNames(top.dirs);
  const entries: ImageEntry[] = [];
  for (const [label, name] of classes.entries()) {
    if (!top.dirs.includes(name)) throw new DatasetError(`class "${name}" has no folder (found: ${sortNames(top.dirs).join(', ')})`, dir);
    const files = await walk(join(dir, name), options);
    if (files.length === 0) throw new DatasetError(`class folder "${name}" holds no images`, join(dir, name));
    for (const file of files) entries.push({ name: file, label });
  }
  return { entries, classes };
}

/** Image files below `dir` at any depth, sorted by path. */
async function walk(dir: string, options: ScanOptions): Promise<string[]> {
  const { files, dirs } = await list(dir);
  const out: string[] = [];
  for (const f of sortNames(files)) {
    if (formatOfName(f)) out.push(join(dir, f));
    else if (!options.skipUnsupported) throw new DatasetError('unsupported file type (expected .jpg, .jpeg, .png or .webp; pass skipUnsupported: true to ignore other files)', join(dir, f));
  }
  for (const d of sortNames(dirs)) out.push(...(await walk(join(dir, d), options)));
  return out;
}

/** Non-hidden files and folders of `dir` (symbolic links followed). */
async function list(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  let items: Dirent[];
  try {
    items = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new IoError('cannot read image folder', { path: dir, reason: (cause as NodeJS.ErrnoException).code, cause });
  }
  const files: string[] = [];
  const dirs: string[] = [];
  for (const item of items) {
    if (item.name.startsWith('.')) continue;
    let isDir = item.isDirectory();
    let isFile = item.isFile();
    if (item.isSymbolicLink()) {
      const target = await stat(join(dir, item.name)).catch(() => undefined);
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDir) dirs.push(item.name);
    else if (isFile) files.push(item.name);
  }
  return { files, dirs };
}
