import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';
import { heapKernelsFor } from './heap-kernels';
import { withValues } from './tensor-values';

/**
 * The one magnitude ranking of Bonsai (unstructured masks, structured channel importance and
 * eval's sensitivity sweep all use it): `|w|^p` per entry or summed per slice, and the
 * deterministic smallest-k selection. Functions over typed arrays, and a tensor form that runs on
 * the backend (the structured Pruner scores with it).
 */

/** Validates a norm order: a positive finite number or `Infinity` (max). */
export function checkNormOrder(p: number, where = 'p'): number {
  if (typeof p !== 'number' || !(p > 0)) throw new ConfigError(`${where} must be a positive number or Infinity, got ${String(p)}`, { key: where });
  return p;
}

/** `|v|^p` (for `p = Infinity`: `|v|`, reduced with max by {@link axisMagnitudes}). */
export function magnitudeOf(v: number, p: number): number {
  const a = Math.abs(v);
  return p === 1 || p === Infinity ? a : p === 2 ? a * a : a ** p;
}

/** `|values[i] * mask[i]|^p` for every entry (mask optional: 0 entries score 0). */
export function entryMagnitudes(values: ArrayLike<number>, options: { p?: number; mask?: ArrayLike<number> } = {}): Float32Array {
  const p = checkNormOrder(options.p ?? 1);
  const { mask } = options;
  if (mask && mask.length !== values.length) throw new ConfigError(`entryMagnitudes: mask has ${mask.length} entries, values ${values.length}`, { key: 'mask' });
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = magnitudeOf(mask ? values[i]! * mask[i]! : values[i]!, p);
  return out;
}

/**
 * For each axis in `axes`: the sum over every other axis of `|w|^p` (for `p = Infinity` the max
 * of `|w|`), per position along that axis; `w = values * mask` when a mask is given. Reads the
 * array once whatever the number of axes (row by row along the last axis). Sums, not p-th roots:
 * take `** (1 / p)` for a norm.
 * @throws ConfigError when `values` does not fill `shape`, or an axis is outside it.
 */
export function axisMagnitudes(
  values: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
  options: { p?: number; mask?: ArrayLike<number> } = {},
): Float64Array[] {
  const p = checkNormOrder(options.p ?? 1);
  const { mask } = options;
  const rank = shape.length;
  const size = shape.reduce((a, d) => a * d, 1);
  if (values.length !== size) throw new ConfigError(`axisMagnitudes: ${values.length} values do not fill shape [${shape.join(', ')}]`, { key: 'shape' });
  if (mask && mask.length !== size) throw new ConfigError(`axisMagnitudes: mask has ${mask.length} entries, values ${size}`, { key: 'mask' });
  for (const a of axes) if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw new ConfigError(`axisMagnitudes: axis ${a} is outside shape [${shape.join(', ')}]`, { key: 'axis' });
  const out = axes.map((a) => new Float64Array(rank === 0 ? 1 : shape[a]!));
  if (size === 0) return out;
  const cols = rank === 0 ? 1 : shape[rank - 1]!;
  const rows = size / cols;
  const lastAxis = Math.max(rank - 1, 0);
  const col = out[axes.indexOf(lastAxis)];
  const rowAxes: Array<{ sums: Float64Array; stride: number; dim: number }> = [];
  axes.forEach((a, k) => {
    if (a === lastAxis) return;
    let stride = 1;
    for (let b = a + 1; b < rank - 1; b++) stride *= shape[b]!;
    rowAxes.push({ sums: out[k]!, stride, dim: shape[a]! });
  });
  const isMax = p === Infinity;
  for (let r = 0; r < rows; r++) {
    const acc = rowMagnitudes(values, mask, r * cols, cols, p, col);
    for (const { sums, stride, dim } of rowAxes) {
      const i = Math.floor(r / stride) % dim;
      sums[i] = isMax ? Math.max(sums[i]!, acc) : sums[i]! + acc;
    }
  }
  // The same axis may be requested twice: copy the column sums to every request of the last axis.
  const colSums = axes.map((a, k) => (a === lastAxis ? out[k] : undefined));
  for (const c of colSums) if (c && c !== col) c.set(col!);
  return out;
}

/**
 * `|w|^p` of one row (`w = values * mask`) added into `col` (max for `p = Infinity`); returns the
 * row's sum (max). Specialized loops for the common cases: this is the hot path of structured scoring.
 */
function rowMagnitudes(values: ArrayLike<number>, mask: ArrayLike<number> | undefined, base: number, cols: number, p: number, col: Float64Array | undefined): number {
  let acc = 0;
  const end = base + cols;
  if (!mask && p === 1) {
    if (col) {
      for (let i = base, c = 0; i < end; i++, c++) {
        const m = Math.abs(values[i]!);
        col[c] = col[c]! + m;
        acc += m;
      }
    } else for (let i = base; i < end; i++) acc += Math.abs(values[i]!);
    return acc;
  }
  if (!mask && p === 2) {
    if (col) {
      for (let i = base, c = 0; i < end; i++, c++) {
        const m = values[i]! * values[i]!;
        col[c] = col[c]! + m;
        acc += m;
      }
    } else for (let i = base; i < end; i++) acc += values[i]! * values[i]!;
    return acc;
  }
  const isMax = p === Infinity;
  for (let i = base, c = 0; i < end; i++, c++) {
    const m = magnitudeOf(mask ? values[i]! * mask[i]! : values[i]!, p);
    if (isMax) {
      acc = Math.max(acc, m);
      if (col) col[c] = Math.max(col[c]!, m);
    } else {
      acc += m;
      if (col) col[c] = col[c]! + m;
    }
  }
  return acc;
}

/**
 * Indices of the `k` candidates with the smallest score; ties go to the lower index, so the
 * choice is deterministic. `candidates` holds indices into the scores (default: all of them).
 */
export function smallestK(score: ArrayLike<number> | ((i: number) => number), k: number, candidates?: Uint32Array): Uint32Array {
  if (typeof score === 'function' && !candidates) throw new ConfigError('smallestK: a score function needs the candidate indices', { key: 'candidates' });
  const at = typeof score === 'function' ? score : (i: number) => score[i]!;
  const cand = candidates ?? allIndices((score as ArrayLike<number>).length);
  if (k <= 0) return new Uint32Array(0);
  if (k >= cand.length) return cand.slice();
  const keys = new Float64Array(cand.length);
  for (let j = 0; j < cand.length; j++) keys[j] = at(cand[j]!);
  const order = new Uint32Array(cand.length);
  for (let j = 0; j < order.length; j++) order[j] = j;
  order.sort((a, b) => keys[a]! - keys[b]! || cand[a]! - cand[b]!);
  const out = new Uint32Array(k);
  for (let j = 0; j < k; j++) out[j] = cand[order[j]!]!;
  return out;
}

function allIndices(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * Tensor form of {@link axisMagnitudes} for the backend's vector kernels: for each axis, a 1-D
 * tensor of `|w|^p` summed over every other axis (max for `p = Infinity`), computing `|w|^p`
 * once. Axis reductions are a last-axis sum plus a pooling over the leading axes, both fast on
 * wasm/XNNPACK (a plain `tf.sum` over leading axes transposes first). Call inside `tf.tidy`;
 * concatenate the results and read them back once.
 */
export function axisMagnitudeTensors(w: tf.Tensor, axes: readonly number[], options: { p?: number } = {}): tf.Tensor1D[] {
  const p = checkNormOrder(options.p ?? 1);
  const shape = w.shape;
  for (const a of axes) if (!Number.isInteger(a) || a < 0 || a >= Math.max(shape.length, 1)) throw new ConfigError(`axisMagnitudeTensors: axis ${a} is outside shape [${shape.join(', ')}]`, { key: 'axis' });
  const m = p === 1 || p === Infinity ? tf.abs(w) : p === 2 ? tf.square(w) : tf.pow(tf.abs(w), p);
  return axes.map((a) => {
    if (shape.length === 0) return tf.reshape(m, [1]);
    const pre = shape.slice(0, a).reduce((x, d) => x * d, 1);
    const dim = shape[a]!;
    const post = shape.slice(a + 1).reduce((x, d) => x * d, 1);
    let t: tf.Tensor = tf.reshape(m, [pre, dim, post]);
    if (post > 1) t = p === Infinity ? tf.max(t, 2) : tf.sum(t, 2);
    if (pre === 1) return tf.reshape(t, [dim]);
    const image = tf.reshape(t, [1, pre, 1, dim]) as tf.Tensor4D;
    const pooled = p === Infinity ? tf.maxPool(image, [pre, 1], 1, 'valid') : tf.mul(tf.avgPool(image, [pre, 1], 1, 'valid'), pre);
    return tf.reshape(pooled, [dim]);
  });
}

/**
 * {@link axisMagnitudes} of a tensor's values (`w = t * mask`), read in place: on the wasm
 * backend, a float32 tensor without mask, p 1 or 2 and a last axis a multiple of 4 is summed by a
 * SIMD kernel in the backend's heap ({@link heapKernelsFor}); anything else takes the typed-array
 * path. The kernel adds float32 lanes (columns over blocks of 8 rows, rows in sums of 16 values)
 * into float64 totals, so its sums are within float32 rounding (~1e-7 relative) of
 * {@link axisMagnitudes}' float64 sums, not bitwise equal.
 */
export function tensorAxisMagnitudes(t: tf.Tensor, axes: readonly number[], options: { p?: number; mask?: tf.Tensor } = {}): Float64Array[] {
  const p = checkNormOrder(options.p ?? 1);
  const { mask } = options;
  const shape = t.shape;
  const rank = shape.length;
  const cols = rank === 0 ? 1 : shape[rank - 1]!;
  const kernels = !mask && (p === 1 || p === 2) && t.dtype === 'float32' && rank > 0 && cols % 4 === 0 && t.size > 0 ? heapKernelsFor(t) : undefined;
  if (!kernels) return withValues(t, (values) => (mask ? withValues(mask, (m) => axisMagnitudes(values, shape, axes, { p, mask: m })) : axisMagnitudes(values, shape, axes, { p })));
  for (const a of axes) if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ConfigError(`tensorAxisMagnitudes: axis ${a} is outside shape [${shape.join(', ')}]`, { key: 'axis' });
  const rows = t.size / cols;
  const ptr = kernels.malloc((cols + rows) * 8 + cols * 4);
  try {
    new Float64Array(kernels.memory.buffer, ptr, cols).fill(0);
    const src = withValues(t, (v) => v.byteOffset);
    (p === 1 ? kernels.absRows : kernels.squareRows)(src, rows, cols, ptr, ptr + cols * 8, ptr + (cols + rows) * 8);
    const buffer = kernels.memory.buffer;
    const colSums = new Float64Array(buffer, ptr, cols);
    const rowSums = new Float64Array(buffer, ptr + cols * 8, rows);
    return axes.map((a) => {
      if (a === rank - 1) return Float64Array.from(colSums);
      let stride = 1;
      for (let b = a + 1; b < rank - 1; b++) stride *= shape[b]!;
      const dim = shape[a]!;
      const sums = new Float64Array(dim);
      for (let r = 0; r < rows; r++) {
        const i = Math.floor(r / stride) % dim;
        sums[i] = sums[i]! + rowSums[r]!;
      }
      return sums;
    });
  } finally {
    kernels.free(ptr);
  }
}
