import { ConfigError, ShapeError } from '@bonsai/core';
import type * as tf from '@tensorflow/tfjs-core';

/** Throws a ConfigError unless `value` is a finite number > 0. */
export function checkPositive(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${what} must be a finite number > 0, got ${String(value)}`, { option: what, value });
  }
}

/** Throws a ConfigError unless `value` is a finite number >= 0. */
export function checkNonNegative(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${what} must be a finite number >= 0, got ${String(value)}`, { option: what, value });
  }
}

/** Throws a ConfigError unless `value` is in [0, 1]. */
export function checkUnit(what: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new ConfigError(`${what} must be in [0, 1], got ${String(value)}`, { option: what, value });
  }
}

/** Throws a ShapeError unless both tensors have the same shape. */
export function checkSameShape(what: string, a: tf.Tensor, b: tf.Tensor, names: [string, string] = ['student', 'teacher']): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${what}: ${names[0]} has shape [${a.shape.join(', ')}] but ${names[1]} has shape [${b.shape.join(', ')}]`);
  }
}

/** Throws a ShapeError unless the tensor has at least `rank` axes. */
export function checkMinRank(what: string, t: tf.Tensor, rank: number): void {
  if (t.rank < rank) throw new ShapeError(`${what}: expected a tensor of rank >= ${rank}, got shape [${t.shape.join(', ')}]`);
}
