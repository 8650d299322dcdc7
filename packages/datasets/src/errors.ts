import { BonsaiError } from '@bonsai/core';

/** A dataset that cannot be loaded or used: missing or corrupt files, or invalid options. */
export class DatasetError extends BonsaiError {
  /**
   * @param message what went wrong
   * @param file the offending file, when there is one (prefixed to the message)
   */
  constructor(message: string, readonly file?: string) {
    super('DATA', file ? `${file}: ${message}` : message, { file });
    this.name = 'DatasetError';
  }
}

/** Throws a {@link DatasetError} unless `value` is an integer in `[min, max]`. */
export function checkInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DatasetError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throws a {@link DatasetError} unless `seed` is a finite number (seeds are taken modulo 2^32). */
export function checkSeed(name: string, seed: number): number {
  if (!Number.isFinite(seed)) throw new DatasetError(`${name} must be a finite number, got ${String(seed)}`);
  return seed;
}
