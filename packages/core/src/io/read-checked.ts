import { IoError, SerializationError } from '../errors';
import { fsCode, withIoError } from './fs-error';

type Fs = typeof import('node:fs/promises');

/**
 * Largest weights buffer Bonsai reads (2 GiB - 1 byte): tfjs decodes weights from one
 * ArrayBuffer, and typed-array offsets are 31-bit on some platforms. Larger files are an IoError
 * (reason `TOO_LARGE`).
 */
export const MAX_WEIGHT_BYTES = 2 ** 31 - 1;

/** Largest model.json Bonsai parses (256 MiB). */
export const MAX_JSON_BYTES = 256 * 2 ** 20;

const CHUNK = 8 * 2 ** 20;

async function fsModule(): Promise<Fs> {
  return import('node:fs/promises');
}

/** Describes a file that is not a regular file (for error messages). */
function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * `stat`s `file` (following links) without opening it and returns its size; refuses folders,
 * pipes, sockets and devices (IoError EISDIR / `NOT_A_FILE`) and files over `maxBytes`
 * (IoError `TOO_LARGE`). Node only.
 */
export async function regularFileSize(file: string, maxBytes = MAX_WEIGHT_BYTES): Promise<number> {
  const fs = await fsModule();
  const st = await withIoError(file, 'read', () => fs.stat(file));
  if (!st.isFile()) throw new IoError(`is ${kindOf(st)}, a regular file was expected`, { path: file, reason: st.isDirectory() ? 'EISDIR' : 'NOT_A_FILE' });
  if (st.size > maxBytes) throw new IoError(`is ${st.size} bytes, over the ${maxBytes}-byte limit`, { path: file, reason: 'TOO_LARGE' });
  return st.size;
}

/**
 * Reads exactly `length` bytes of the regular file `file` into `into` at `offset`, in bounded
 * chunks. The file is opened non-blocking (a pipe swapped in after the `stat` cannot hang the
 * read) and checked again on the open handle; a file that is shorter or longer than `length` is a
 * SerializationError naming `manifest`. Node only.
 */
export async function readFileInto(file: string, into: Uint8Array, offset: number, length: number, manifest = file): Promise<void> {
  const fs = await fsModule();
  const { constants } = await import('node:fs');
  const h = await withIoError(file, 'open', () => fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK));
  try {
    const st = await withIoError(file, 'read', () => h.stat());
    if (!st.isFile()) throw new IoError(`is ${kindOf(st)}, a regular file was expected`, { path: file, reason: st.isDirectory() ? 'EISDIR' : 'NOT_A_FILE' });
    if (st.size !== length) throw new SerializationError(`${file} is ${st.size} bytes, the manifest describes ${length} (truncated or corrupt)`, manifest);
    let done = 0;
    while (done < length) {
      const n = Math.min(CHUNK, length - done);
      const { bytesRead } = await withIoError(file, 'read', () => h.read(into, offset + done, n, done));
      if (bytesRead === 0) throw new SerializationError(`${file} ended after ${done} of ${length} bytes (changed while reading)`, manifest);
      done += bytesRead;
    }
  } finally {
    await h.close().catch(() => undefined);
  }
}

/** Reads a whole regular file (size-checked with `stat` first, at most `maxBytes`). Node only. */
export async function readFileChecked(file: string, maxBytes = MAX_WEIGHT_BYTES): Promise<Uint8Array> {
  const size = await regularFileSize(file, maxBytes);
  const out = new Uint8Array(size);
  await readFileInto(file, out, 0, size);
  return out;
}

/** True when `e` is a missing-file error (ENOENT) or an IoError for one. */
export function isMissing(e: unknown): boolean {
  return fsCode(e) === 'ENOENT' || (e instanceof IoError && e.reason === 'ENOENT');
}

