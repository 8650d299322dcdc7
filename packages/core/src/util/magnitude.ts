import { ConfigError } from '../errors';

/**
 * The one magnitude ranking of Bonsai (unstructured masks, structured channel importance and
 * eval's sensitivity sweep all use it): `|w|^p` per entry or summed per slice, and the
 * deterministic smallest-k selection. Pure functions over typed arrays; no tensors.
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
  const isMax = p === Infinity;
  const cols = rank === 0 ? 1 : shape[rank - 1]!;
  const rows = size / cols;
  const colSums = axes.map((a, k) => (a === rank - 1 || rank === 0 ? out[k]! : undefined));
  const rowAxes: Array<{ sums: Float64Array; stride: number; dim: number }> = [];
  axes.forEach((a, k) => {
    if (a === rank - 1 || rank === 0) return;
    let stride = 1;
    for (let b = a + 1; b < rank - 1; b++) stride *= shape[b]!;
    rowAxes.push({ sums: out[k]!, stride, dim: shape[a]! });
  });
  const col = colSums.find((c) => c !== undefined);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let acc = 0;
    for (let c = 0; c < cols; c++) {
      const v = mask ? values[base + c]! * mask[base + c]! : values[base + c]!;
      const m = magnitudeOf(v, p);
      if (isMax) acc = m > acc ? m : acc;
      else acc += m;
      if (col) col[c] = isMax ? Math.max(col[c]!, m) : col[c]! + m;
    }
    for (const { sums, stride, dim } of rowAxes) {
      const i = Math.floor(r / stride) % dim;
      sums[i] = isMax ? Math.max(sums[i]!, acc) : sums[i]! + acc;
    }
  }
  // The same axis may be requested twice: copy the column sums to every request of the last axis.
  for (const c of colSums) if (c && c !== col) c.set(col!);
  return out;
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
