import { SerializationError } from '../errors';

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
    throw new SerializationError(`weight file ${JSON.stringify(relative)} cannot be read: ${(e as Error).message}`, relative);
  }
  return full;
}

/** Writes files into `dir` atomically: each goes to a temporary name first, then is renamed. */
export async function writeFilesAtomic(dir: string, files: ReadonlyArray<{ name: string; data: string | Uint8Array }>): Promise<void> {
  const { fs, path } = await nodeModules();
  await fs.mkdir(dir, { recursive: true });
  const tag = `${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const temps: Array<{ tmp: string; final: string }> = [];
  try {
    for (const f of files) {
      const final = path.join(dir, f.name);
      const tmp = path.join(dir, `.${f.name}.${tag}.tmp`);
      await fs.writeFile(tmp, f.data);
      temps.push({ tmp, final });
    }
    // Rename the last file (model.json by convention) last, so a reader never sees it before its weights.
    for (const t of temps) await fs.rename(t.tmp, t.final);
  } catch (e) {
    await Promise.all(temps.map((t) => fs.rm(t.tmp, { force: true })));
    throw e;
  }
}

/** Reads a whole file as an ArrayBuffer. */
export async function readArrayBuffer(file: string): Promise<ArrayBuffer> {
  const { fs } = await nodeModules();
  const buf = await fs.readFile(file);
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** Reads and parses a JSON file; SerializationError naming the file when it is not JSON. */
export async function readJson(file: string): Promise<unknown> {
  const { fs } = await nodeModules();
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new SerializationError(`cannot read: ${(e as Error).message}`, file);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SerializationError(`not valid JSON: ${(e as Error).message}`, file);
  }
}
