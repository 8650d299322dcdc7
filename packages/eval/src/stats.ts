/** Small statistics over timing samples. */

/** Summary of a list of samples. */
export interface SampleSummary {
  median: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** The `q`-quantile (0..1) of `values`, linear interpolation between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median, 95th percentile, mean, min and max of `values`. */
export function summarize(values: readonly number[]): SampleSummary {
  const n = values.length;
  return {
    median: median(values),
    p95: quantile(values, 0.95),
    mean: n ? values.reduce((a, b) => a + b, 0) / n : NaN,
    min: n ? Math.min(...values) : NaN,
    max: n ? Math.max(...values) : NaN,
  };
}
