import { ConfigError, IoError } from '../errors';
import { fsCode, toIoError, withIoError } from './fs-error';

type Fs = typeof import('node:fs/promises');
type PathMod = typeof import('node:path');

/** One file of a folder written by {@link writeFilesAtomic}. */
export interface FolderFile {
  /** Plain file name (no folder separators). */
  name: string;
  data: string | Uint8Array;
}

async function nodeModules(): Promise<{ fs: Fs; path: PathMod }> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  return { fs, path };
}

/** Temporaries this process is writing right now (their tags), so recovery never touches them. */
const inFlight = new Set<string>();

const STALE = /^\.(.+)\.(tmp|old)-(\d+)-([0-9a-z]+)$/;

function ownerAlive(pid: number, tag: string): boolean {
  if (pid === process.pid) return inFlight.has(tag);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return fsCode(e) === 'EPERM';
  }
}

async function exists(fs: Fs, p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if (fsCode(e) === 'ENOENT') return false;
    throw toIoError(e, p, 'inspect');
  }
}

async function syncDir(fs: Fs, dir: string): Promise<void> {
  // Durability against power loss; not every platform can open a folder for fsync.
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Repairs what a killed {@link writeFilesAtomic} left beside `dir`: when the folder is missing
 * but its previous version (`.<name>.old-*`) is there, that version is renamed back; leftover
 * temporaries (`.<name>.tmp-*`, `.<name>.old-*`) of processes that no longer run are removed.
 * Returns true when the folder exists afterwards. Node only.
 */
export async function recoverFolder(dir: string): Promise<boolean> {
  return (await recover(dir)).present;
}

/**
 * Waits (up to ~1 s) while another process is between the two renames of a save of `dir`, and
 * repairs what a killed save left (see {@link recoverFolder}). Node only.
 */
export async function awaitFolder(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const { present, busy } = await recover(dir);
    if (present || !busy) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function recover(dir: string): Promise<{ present: boolean; busy: boolean }> {
  const { fs, path } = await nodeModules();
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  let entries: string[];
  try {
    entries = await fs.readdir(parent);
  } catch (e) {
    if (fsCode(e) === 'ENOENT' || fsCode(e) === 'ENOTDIR') return { present: false, busy: false };
    throw toIoError(e, parent, 'list');
  }
  const ours = entries.map((name) => ({ name, m: STALE.exec(name) })).filter((e) => e.m !== null && e.m[1] === base);
  const alive = (e: (typeof ours)[number]): boolean => ownerAlive(Number(e.m![3]), `${e.m![3]}-${e.m![4]}`);
  const stale = ours.filter((e) => !alive(e));
  const busy = ours.some((e) => e.m![2] === 'old' && alive(e));
  let present = await exists(fs, target);
  if (!present) {
    const old = stale.find((e) => e.m![2] === 'old');
    if (old) {
      await withIoError(target, 'restore the previous version of the folder', () => fs.rename(path.join(parent, old.name), target));
      present = true;
    }
  }
  for (const e of stale) {
    if (!(await exists(fs, path.join(parent, e.name)))) continue;
    await withIoError(path.join(parent, e.name), 'remove a stale temporary folder', () => fs.rm(path.join(parent, e.name), { recursive: true, force: true }));
  }
  return { present, busy };
}

function checkFiles(files: ReadonlyArray<FolderFile>): void {
  if (!Array.isArray(files) || files.length === 0) throw new ConfigError('writeFilesAtomic needs a non-empty array of files', { option: 'files' });
  const seen = new Set<string>();
  for (const f of files) {
    const name = (f as FolderFile | null)?.name;
    if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[\\/\0]/.test(name) || seen.has(name)) {
      throw new ConfigError(`file name ${JSON.stringify(name)} must be a plain, unique file name`, { option: 'files' });
    }
    if (typeof f.data !== 'string' && !(f.data instanceof Uint8Array)) throw new ConfigError(`file "${name}": data must be a string or a Uint8Array`, { option: 'files' });
    seen.add(name);
  }
}

/** Throws ConfigError (option "dir") unless `dir` is a non-empty path string without NUL bytes. */
export function checkFolderPath(dir: string): void {
  if (typeof dir !== 'string' || dir.trim() === '') throw new ConfigError(`the model folder must be a non-empty path, got ${JSON.stringify(dir)}`, { option: 'dir' });
  if (dir.includes('\0')) throw new ConfigError('the model folder path contains a NUL byte', { option: 'dir' });
}

/** Checks `dir` is a usable folder path and returns it resolved (through a symbolic link to a folder, if it is one). */
async function resolveTarget(fs: Fs, path: PathMod, dir: string): Promise<string> {
  checkFolderPath(dir);
  let target = path.resolve(dir);
  if (path.dirname(target) === target) throw new ConfigError(`refusing to replace the root folder ${JSON.stringify(target)}`, { option: 'dir' });
  try {
    if ((await fs.lstat(target)).isSymbolicLink()) target = await fs.realpath(target);
  } catch (e) {
    if (fsCode(e) !== 'ENOENT') throw toIoError(e, target, 'inspect');
  }
  return target;
}

/** The existing folder may be replaced only if it is empty or holds one of the files being written. */
async function checkReplaceable(fs: Fs, target: string, files: ReadonlyArray<FolderFile>): Promise<boolean> {
  let st: Awaited<ReturnType<Fs['stat']>>;
  try {
    st = await fs.stat(target);
  } catch (e) {
    if (fsCode(e) === 'ENOENT') return false;
    throw toIoError(e, target, 'inspect');
  }
  if (!st.isDirectory()) throw new IoError('exists and is not a folder', { path: target, reason: 'ENOTDIR' });
  const entries = await withIoError(target, 'list', () => fs.readdir(target));
  if (entries.length > 0 && !files.some((f) => entries.includes(f.name))) {
    throw new IoError(`is a folder holding other files (none of ${files.map((f) => f.name).join(', ')}); refusing to replace it: choose a new or empty folder`, { path: target, reason: 'ENOTEMPTY' });
  }
  return true;
}

async function writeOne(fs: Fs, file: string, data: string | Uint8Array): Promise<void> {
  const h = await fs.open(file, 'wx');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Replaces the folder `dir` as a whole with exactly `files`, crash-safely: the files are written
 * (and fsynced) into a new sibling folder `.<name>.tmp-<pid>-<rand>`, the old folder is renamed
 * to `.<name>.old-<pid>-<rand>`, the new one renamed to `dir`, and the old one removed. A crash at
 * any moment leaves either the complete old or the complete new folder (after
 * {@link recoverFolder}, which the next save and load run). A failed write (full disk, no
 * permission) removes its temporary and leaves the old folder untouched. An existing non-empty
 * folder that holds none of `files` is refused (IoError ENOTEMPTY) rather than replaced.
 * Every file-system failure is an {@link IoError} naming the path and cause. Node only.
 */
export async function writeFilesAtomic(dir: string, files: ReadonlyArray<FolderFile>): Promise<void> {
  const { fs, path } = await nodeModules();
  checkFiles(files);
  const target = await resolveTarget(fs, path, dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  await withIoError(target, 'create its parent folder', () => fs.mkdir(parent, { recursive: true }));
  await recoverFolder(target);
  const replacing = await checkReplaceable(fs, target, files);
  const tag = `${process.pid}-${Math.floor(Math.random() * 2 ** 48).toString(36)}`;
  const tmp = path.join(parent, `.${base}.tmp-${tag}`);
  const old = path.join(parent, `.${base}.old-${tag}`);
  inFlight.add(tag);
  try {
    try {
      await withIoError(tmp, 'create a temporary folder', () => fs.mkdir(tmp));
      for (const f of files) await withIoError(path.join(target, f.name), 'write', () => writeOne(fs, path.join(tmp, f.name), f.data));
      await syncDir(fs, tmp);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    if (replacing) {
      await withIoError(target, 'move the previous folder aside', () => fs.rename(target, old)).catch(async (e: unknown) => {
        await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
        throw e;
      });
    }
    try {
      await fs.rename(tmp, target);
    } catch (e) {
      if (replacing) await fs.rename(old, target).catch(() => undefined);
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw toIoError(e, target, 'move the new folder into place');
    }
    await syncDir(fs, parent);
    // The new folder is in place: removing the old one may fail without harm (the next save cleans it).
    if (replacing) await fs.rm(old, { recursive: true, force: true }).catch(() => undefined);
  } finally {
    inFlight.delete(tag);
  }
}
