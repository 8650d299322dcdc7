import { SerializationError } from '../errors';
import { fsCode, toIoError } from './fs-error';
import { MAX_JSON_BYTES, readFileChecked } from './read-checked';

type Fs = typeof import('node:fs/promises');
type PathMod = typeof import('node:path');

async function nodeModules(): Promise<{ fs: Fs; path: PathMod }> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  return { fs, path };
}

/**
 * Resolves `relative` inside `dir`; throws SerializationError when it escapes the folder
 * (absolute paths, `..`, or a symlink pointing outside).
 */
export async function resolveInside(dir: string, relative: string): Promise<string> {
  const { fs, path } = await nodeModules();
  if (relative.includes('\0')) throw new SerializationError(`weight path ${JSON.stringify(relative)} contains a NUL byte`, relative);
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative) || /^[a-z]+:\/\//i.test(relative)) {
    throw new SerializationError(`weight path ${JSON.stringify(relative)} is absolute or a URL; it must stay inside the model folder`, relative);
  }
  const root = path.resolve(dir);
  const full = path.resolve(root, relative);
  const rel = path.relative(root, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new SerializationError(`weight path ${JSON.stringify(relative)} escapes the model folder`, relative);
  }
  try {
    const [realRoot, realFull] = await Promise.all([fs.realpath(root), fs.realpath(full)]);
    const realRel = path.relative(realRoot, realFull);
    if (realRel.startsWith('..') || path.isAbsolute(realRel)) {
      throw new SerializationError(`weight path ${JSON.stringify(relative)} resolves (through a link) outside the model folder`, relative);
    }
  } catch (e) {
    if (e instanceof SerializationError) throw e;
    // A missing or unreadable file is a file-system failure: IoError naming the full path and cause.
    throw toIoError(e, fsCode(e) === 'ENOENT' ? full : root, 'read a weight file');
  }
  return full;
}

/** Reads a whole regular file as an ArrayBuffer (size checked with `stat` first; at most 2 GiB). Node only. */
export async function readArrayBuffer(file: string): Promise<ArrayBuffer> {
  const bytes = await readFileChecked(file);
  return bytes.buffer as ArrayBuffer;
}

/**
 * Reads and parses a JSON file (a regular file of at most 256 MiB): IoError naming the file and
 * cause when it cannot be read, SerializationError when it is not JSON. Node only.
 */
export async function readJson(file: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readFileChecked(file, MAX_JSON_BYTES));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SerializationError(`not valid JSON: ${(e as Error).message}`, file);
  }
}

export { recoverFolder, writeFilesAtomic, type FolderFile } from './atomic-folder';
