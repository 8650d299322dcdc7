/** Formatting helpers for the page (kept here so the main bundle needs no tfjs). */

/** 0.9812 -> "98.12%". */
export function pct(v: number, digits = 2): string {
  return `${(v * 100).toFixed(digits)}%`;
}

/** 123456 -> "120.6 KB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

/** 1234567 -> "1.23M". */
export function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** 3.14159 -> "3.14 ms". */
export function ms(v: number): string {
  return `${v.toFixed(2)} ms`;
}

/** after/before as "0.52x". */
export function ratio(before: number, after: number): string {
  return before > 0 ? `${(after / before).toFixed(2)}x` : '-';
}
