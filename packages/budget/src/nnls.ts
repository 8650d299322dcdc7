import { ConfigError } from '@bonsai/core';

/** Solution of {@link nnls}. */
export interface NnlsResult {
  /** Coefficients, each >= 0. */
  x: number[];
  /** Residual norm ||A x - b||. */
  residual: number;
}

/** Solves the square system `m z = v` by Gaussian elimination with partial pivoting (null if singular). */
function solve(m: number[][], v: number[]): number[] | null {
  const n = v.length;
  const a = m.map((row, i) => [...row, v[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    if (Math.abs(a[p]![c]!) < 1e-12) return null;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const z = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * z[k]!;
    z[r] = s / a[r]![r]!;
  }
  return z;
}

/** Least squares restricted to the columns in `set` (others 0), via the normal equations. */
function restricted(a: readonly (readonly number[])[], b: readonly number[], set: readonly number[], cols: number): number[] | null {
  const m = set.map((i) => set.map((j) => a.reduce((s, row) => s + row[i]! * row[j]!, 0)));
  const v = set.map((i) => a.reduce((s, row, r) => s + row[i]! * b[r]!, 0));
  const z = solve(m, v);
  if (!z) return null;
  const out = new Array<number>(cols).fill(0);
  set.forEach((i, k) => {
    out[i] = z[k]!;
  });
  return out;
}

/**
 * Nonnegative least squares, `min ||A x - b||` subject to `x >= 0` (Lawson & Hanson's active-set
 * method). Columns whose inclusion would make the passive set singular stay at 0. Meant for the
 * small systems of latency fits (tens of columns).
 * @throws ConfigError for ragged or empty input.
 */
export function nnls(a: readonly (readonly number[])[], b: readonly number[]): NnlsResult {
  const rows = a.length;
  const cols = a[0]?.length ?? 0;
  if (rows === 0 || cols === 0 || b.length !== rows || a.some((r) => r.length !== cols)) throw new ConfigError(`nnls: A must be a non-empty ${rows} x n matrix matching b (length ${b.length})`, { argument: 'a' });
  let x = new Array<number>(cols).fill(0);
  const passive = new Set<number>();
  const blocked = new Set<number>();
  const resid = (v: readonly number[]): number[] => b.map((bi, r) => bi - a[r]!.reduce((s, aij, j) => s + aij * v[j]!, 0));
  const tol = 1e-10 * Math.max(1, Math.sqrt(b.reduce((s, v) => s + v * v, 0)));
  for (let iter = 0; iter < 3 * cols + 10; iter++) {
    const r = resid(x);
    const w = Array.from({ length: cols }, (_, j) => a.reduce((s, row, i) => s + row[j]! * r[i]!, 0));
    let t = -1;
    for (let j = 0; j < cols; j++) if (!passive.has(j) && !blocked.has(j) && w[j]! > tol && (t < 0 || w[j]! > w[t]!)) t = j;
    if (t < 0) break;
    passive.add(t);
    for (let inner = 0; inner <= cols; inner++) {
      const z = restricted(a, b, [...passive].sort((p, q) => p - q), cols);
      if (!z) {
        // Dependent column: leave it out for good.
        passive.delete(t);
        blocked.add(t);
        break;
      }
      if ([...passive].every((j) => z[j]! > 0)) {
        x = z;
        break;
      }
      // Step toward z until the first passive coefficient reaches 0; drop those that do.
      let alpha = 1;
      for (const j of passive) if (z[j]! <= 0) alpha = Math.min(alpha, x[j]! / (x[j]! - z[j]!));
      x = x.map((xj, j) => xj + alpha * (z[j]! - xj));
      for (const j of [...passive]) if (x[j]! <= 1e-14) {
        passive.delete(j);
        x[j] = 0;
      }
    }
  }
  const r = resid(x);
  return { x, residual: Math.sqrt(r.reduce((s, v) => s + v * v, 0)) };
}
