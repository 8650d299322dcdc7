import { DatasetError } from '../errors';
import type { ImageEntry, ImageListing } from '../image/image-source';
import { formatOfName } from '../image/raw-image';
import { sortNames } from '../sort-names';

/** A browser `File` (or any `Blob` with a name): what `<input type=file>` and drag-and-drop give. */
export interface NamedBlob extends Blob {
  readonly name?: string;
  /** Path below the picked folder, from `<input type=file webkitdirectory>` (e.g. `"photos/cat/1.jpg"`). */
  readonly webkitRelativePath?: string;
}

/** Options of {@link listFiles}. */
export interface ListFilesOptions {
  labels?: 'inferred' | 'none';
  classNames?: readonly string[];
  skipUnsupported?: boolean;
}

/** The path used to group a file: `webkitRelativePath` when set, else `name`. */
export function relativePath(file: NamedBlob, index: number): string {
  const path = file.webkitRelativePath || file.name || `file ${index}`;
  return path.replace(/\\/g, '/').replace(/^\/+/, '');
}

/**
 * Groups picked files like an image folder: with `labels: 'inferred'`, the class is the first
 * folder of the path below the picked folder. A directory pick (`webkitdirectory`) gives paths
 * `"<picked>/<class>/<file>"`, so when every path starts with the same folder, that folder is
 * the root and is dropped (a single dropped class folder therefore reads as unlabeled). Files without a class folder make the set unlabeled
 * (then all must lack one). Hidden files (".name" at any level) are ignored.
 * Each entry's `file` is its position in `files`.
 * @throws DatasetError for no images, an unsupported file (unless skipped), or a mix of files with and without class folders.
 */
export function listFiles(files: readonly NamedBlob[], options: ListFilesOptions = {}): ImageListing {
  const labels = options.labels ?? 'inferred';
  const items: { path: string[]; index: number }[] = [];
  files.forEach((file, index) => {
    const path = relativePath(file, index);
    const parts = path.split('/').filter((p) => p.length > 0);
    if (parts.some((p) => p.startsWith('.'))) return;
    if (!formatOfName(path)) {
      if (options.skipUnsupported) return;
      throw new DatasetError('unsupported file type (expected .jpg, .jpeg, .png or .webp; pass skipUnsupported: true to ignore other files)', path);
    }
    items.push({ path: parts, index });
  });
  if (items.length === 0) throw new DatasetError('no images among the files (expected .jpg, .jpeg, .png or .webp)');
  const root = items[0]?.path[0];
  if (items.every((it) => it.path.length >= 2 && it.path[0] === root)) for (const it of items) it.path.shift();
  // Folder first, then file name: a folder's files come before its subfolders', as imageFolder lists them.
  const key = (it: { path: string[] }): [string, string] => [it.path.slice(0, -1).join('/'), it.path[it.path.length - 1] ?? ''];
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  items.sort((a, b) => {
    const [da, fa] = key(a);
    const [db, fb] = key(b);
    return cmp(da, db) || cmp(fa, fb);
  });
  const inFolders = items.filter((it) => it.path.length >= 2).length;
  if (labels === 'none' || inFolders === 0) {
    if (options.classNames) throw new DatasetError('classNames given but the files have no class folders');
    return { entries: items.map((it) => ({ name: it.path.join('/'), file: it.index })) };
  }
  const loose = items.find((it) => it.path.length < 2);
  if (loose) throw new DatasetError('image beside class folders: put it in a class folder, or pass labels: "none"', loose.path.join('/'));
  const found = sortNames([...new Set(items.map((it) => it.path[0] as string))]);
  const classes = options.classNames ? [...options.classNames] : found;
  const missing = classes.find((c) => !found.includes(c));
  if (missing !== undefined) throw new DatasetError(`class "${missing}" has no files (found: ${found.join(', ')})`);
  const kept = items.filter((it) => classes.includes(it.path[0] as string));
  const entries: ImageEntry[] = [];
  for (const [label, name] of classes.entries()) {
    for (const it of kept.filter((k) => k.path[0] === name)) entries.push({ name: it.path.join('/'), label, file: it.index });
  }
  return { entries, classes };
}
