/** Number formatting of bench cells: one set of rules, so README numbers match results files. */

/** `1234.5` -> `1,235`; `digits` fixed decimals; `—` for non-finite values. */
export function num(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
}

/** A ratio as `2.31x`. */
export function ratio(v: number, digits = 2): string {
  return Number.isFinite(v) ? `${v.toFixed(digits)}x` : '—';
}

/** A fraction as a percentage: `0.9812` -> `98.12%`. */
export function pct(v: number, digits = 2): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : '—';
}

/** A rate with precision that suits its size: `2135.4` -> `2,135`, `21.35` -> `21.4`, `2.04` -> `2.04`. */
export function rate(v: number): string {
  return num(v, Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
}

/** Milliseconds with precision that suits their size: `1234.5` -> `1,235`, `12.34` -> `12.3`, `0.456` -> `0.46`. */
export function ms(v: number): string {
  return rate(v);
}

/** A median with its interquartile range: `1.23x (1.20–1.26)`. */
export function spread(s: { median: number; p25: number; p75: number }, f: (v: number) => string = ratio): string {
  return `${f(s.median)} (${f(s.p25)}–${f(s.p75)})`;
}

/** Bytes as KiB with one decimal. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
