/** Order statistics of timing samples. */

function sorted(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new RangeError(`${what}: no samples`);
  return [...values].sort((a, b) => a - b);
}

/** Median of `values` (mean of the two middle ones for an even count). Throws on an empty list. */
export function median(values: readonly number[]): number {
  const s = sorted(values, 'median');
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The `p`-th percentile (0..100) of `values`, linear interpolation between closest ranks
 * (numpy's default `linear` method): `percentile(xs, 50) === median(xs)`.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be in [0, 100], got ${p}`);
  const s = sorted(values, 'percentile');
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Arithmetic mean. Throws on an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean: no samples');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
}

/** Median and interquartile range of samples. */
export interface Summary {
  median: number;
  /** 25th percentile. */
  p25: number;
  /** 75th percentile. */
  p75: number;
  min: number;
  max: number;
  n: number;
}

/** {@link Summary} of `values`. */
export function summarize(values: readonly number[]): Summary {
  const s = sorted(values, 'summarize');
  return { median: median(s), p25: percentile(s, 25), p75: percentile(s, 75), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}
