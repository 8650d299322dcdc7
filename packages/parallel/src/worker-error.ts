/**
 * Errors crossing the thread boundary: a worker sends a plain description, the main thread
 * rebuilds an error of @bonsai/core's hierarchy from it (the class survives, so `instanceof`
 * holds for the caller). Not part of the public API.
 */
import { BackendError, BonsaiError, type BonsaiErrorCode, ConfigError, ShapeError } from '@bonsai/core';

/** A worker's error as plain data (structured-clone safe). */
export interface WorkerFailure {
  name: string;
  message: string;
  /** The BonsaiError code, when the worker threw one. */
  code?: BonsaiErrorCode;
  details?: Record<string, unknown>;
}

/** Describes any thrown value as plain data. */
export function describeError(e: unknown): WorkerFailure {
  if (e instanceof BonsaiError) {
    const details = Object.fromEntries(Object.entries(e.details).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)));
    return { name: e.name, message: e.message, code: e.code, details };
  }
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/**
 * The error the caller sees for worker `rank`'s failure: a ShapeError or ConfigError when the
 * worker threw one, another BonsaiError with the worker's code, or a BackendError for anything
 * else (a tfjs kernel error, a crashed thread). The message names the worker.
 */
export function workerError(rank: number, f: WorkerFailure): BonsaiError {
  const message = `trainParallel: worker ${rank} failed: ${f.message}`;
  const details = { ...f.details, worker: rank };
  if (f.name === 'ShapeError') return new ShapeError(message);
  if (f.name === 'ConfigError') return new ConfigError(message, details, { code: f.code });
  if (f.code) return new BonsaiError(f.code, message, details);
  return new BackendError(message, 'wasm');
}
