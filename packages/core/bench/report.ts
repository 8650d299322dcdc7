/** Small timing and table helpers of the bench. */

/** Median of samples. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds since `t0` (performance.now). */
export function since(t0: number): number {
  return performance.now() - t0;
}

/** A Markdown table. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** `1234.5` -> `1,235`. */
export function num(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
}

/** A ratio as `2.31x`. */
export function ratio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}x` : '—';
}

/** A rate with precision that suits its size: `2135.4` -> `2,135`, `2.04` -> `2.04`. */
export function rate(v: number): string {
  return num(v, v >= 100 ? 0 : v >= 10 ? 1 : 2);
}
