import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Model, ShapeError } from '@bonsai/core';

/** Largest input a metric builds itself (elements): beyond it a typo, not a benchmark. */
export const MAX_INPUT_ELEMENTS = 2 ** 28;

/** Throws a ConfigError naming `where` unless `model` is a Bonsai Model. */
export function checkModel(model: unknown, where: string): asserts model is Model {
  if (!(model instanceof Model)) throw new ConfigError(`${where}: model must be a Bonsai Model, got ${describe(model)}`, { argument: 'model' });
}

/** Throws a ConfigError unless `t` is a tensor; `name` is the argument. */
export function checkTensor(t: unknown, name: string, where: string): asserts t is tf.Tensor {
  if (!(t instanceof tf.Tensor)) throw new ConfigError(`${where}: ${name} must be a tensor, got ${describe(t)}`, { argument: name });
  if (t.isDisposed) throw new ConfigError(`${where}: ${name} was already disposed`, { argument: name });
}

/**
 * Checks a batch against a single- or multi-input classifier before it runs: `x` and `y` are
 * tensors with the same sample count, `x` has the model's per-sample input shape (single-input
 * graphs), and `y` holds valid labels for `classes` classes — integer class indices `[n]` in
 * `[0, classes)`, or rows `[n, classes]` of finite, non-negative values with a positive entry
 * (one-hot or probabilities). Reads `y` back (labels are small).
 * @throws ConfigError for bad label values (NaN, fractional, negative, out of range), ShapeError for shapes.
 */
export function checkLabeledBatch(model: Model, x: unknown, y: unknown, classes: number, where: string): void {
  checkTensor(x, 'x', where);
  checkTensor(y, 'y', where);
  if (x.rank < 1) throw new ShapeError(`${where}: x must have a batch axis, got a scalar`);
  if (y.rank < 1 || y.rank > 2) throw new ShapeError(`${where}: y must be one-hot [n, classes] or labels [n], got shape [${y.shape.join(', ')}]`);
  if (x.shape[0] !== y.shape[0]) throw new ShapeError(`${where}: x has ${x.shape[0]} samples but y has ${y.shape[0]}`);
  const inputs = model.graph.inputs;
  if (inputs.length === 1) {
    const want = model.graph.shape(inputs[0]!);
    const got = x.shape.slice(1);
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new ShapeError(`${where}: x has per-sample shape [${got.join(', ')}] but model input "${inputs[0]}" expects [${want.join(', ')}]`);
    }
  }
  if (y.rank === 2 && y.shape[1] !== classes) throw new ShapeError(`${where}: y has ${y.shape[1]} classes per row, the model outputs ${classes}`);
  const v = y.dataSync();
  if (y.rank === 1) {
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= classes) {
        throw new ConfigError(`${where}: label y[${i}] = ${c} is not a class index (an integer in [0, ${classes}))`, { argument: 'y', index: i, value: c });
      }
    }
    return;
  }
  for (let r = 0; r < y.shape[0]!; r++) {
    let positive = false;
    for (let c = 0; c < classes; c++) {
      const e = v[r * classes + c]!;
      if (!Number.isFinite(e) || e < 0) throw new ConfigError(`${where}: y[${r}][${c}] = ${e}; one-hot or probability rows must be finite and >= 0`, { argument: 'y', index: r, value: e });
      if (e > 0) positive = true;
    }
    if (!positive) throw new ConfigError(`${where}: y row ${r} is all zeros (no class)`, { argument: 'y', index: r });
  }
}

/** Throws a ConfigError unless `v` is an integer in `[min, max]`; `name` is the option. */
export function checkInt(v: unknown, name: string, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${where}: ${name} must be an integer in [${min}, ${max}], got ${describe(v)}`, { [name]: v });
  }
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}
