import { BonsaiError, IoError } from '../errors';

const EXPLAIN: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder, a file was expected',
  ENOENT: 'does not exist',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ENOTEMPTY: 'the folder is not empty',
  EBUSY: 'busy',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EXDEV: 'cross-device rename',
};

/** The `code` of a Node system error (`'ENOENT'`, ...), or undefined. */
export function fsCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns a file-system failure into an {@link IoError} naming `path`, what was being done and the
 * cause (`EACCES`, `ENOSPC`, ...). Bonsai errors pass through unchanged.
 */
export function toIoError(e: unknown, path: string, action: string): BonsaiError {
  if (e instanceof BonsaiError) return e;
  const code = fsCode(e);
  const why = code ? (EXPLAIN[code] ?? (e as Error).message) : (e as Error)?.message ?? String(e);
  return new IoError(`cannot ${action}: ${why}`, { path, reason: code ?? 'IO', cause: e });
}

/** Runs `fn`; any failure becomes an {@link IoError} (see {@link toIoError}). */
export async function withIoError<T>(path: string, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toIoError(e, path, action);
  }
}
