/** Human-readable units for reports (Markdown tables, logs). */

/** `1234` -> `1.23k`, `4.5e6` -> `4.50M`, `7` -> `7`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(2)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** Bytes with binary units labelled KB/MB/GB (1 KB = 1024 B): `412672` -> `403.0 KB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const a = Math.abs(bytes);
  if (a >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
  if (a >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(2)} MB`;
  if (a >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}

/** Milliseconds with sensible precision: `0.0123` -> `12.3 µs`, `1.234` -> `1.23 ms`, `1234` -> `1.23 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

/** A fraction as a percentage: `0.98123` -> `98.12%`. */
export function formatPercent(fraction: number, digits = 2): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : String(fraction);
}

/** A ratio as a factor: `4` -> `4.00x`. */
export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : r > 0 ? '∞x' : '—';
}

/** Renders a Markdown table: the first `leftColumns` columns (default 1) left-aligned, the others right-aligned. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, leftColumns = 1): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i < leftColumns ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  return lines.join('\n');
}
