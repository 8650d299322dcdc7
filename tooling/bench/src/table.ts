/** The one Markdown table printer of the benches. */

/** A table cell: strings are printed as they are; numbers with {@link formatCell}. */
export type Cell = string | number;

/** A titled table: column names and rows of cells. */
export interface Table {
  /** Stable id (used to pick the table into a README). */
  id: string;
  title?: string;
  columns: string[];
  rows: Cell[][];
  /** Text printed under the table. */
  note?: string;
}

/** Integers as they are, other numbers with three decimals, non-finite as `—`. */
export function formatCell(v: Cell): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return '—';
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/**
 * A Markdown table; the first column left-aligned, the others right-aligned. Throws when a row
 * has a different number of cells than `columns`.
 */
export function markdownTable(columns: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  for (const [i, r] of rows.entries()) {
    if (r.length !== columns.length) throw new RangeError(`markdownTable: row ${i} has ${r.length} cells, expected ${columns.length} (${columns.join(', ')})`);
  }
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${columns.map(esc).join(' | ')} |`,
    `| ${columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => esc(formatCell(c))).join(' | ')} |`),
  ].join('\n');
}

/** Rows of records (same keys) as columns + cell rows. */
export function fromRecords(records: ReadonlyArray<Record<string, Cell>>): { columns: string[]; rows: Cell[][] } {
  const columns = records.length ? Object.keys(records[0]!) : [];
  return { columns, rows: records.map((r) => columns.map((c) => r[c] ?? '')) };
}

/**
 * Columns and rows of the first Markdown table in `md` (e.g. a library's own report such as
 * @bonsai/eval's `compare().markdown`), so it can be recorded in a results file. Escaped pipes
 * (`\|`) stay inside their cell. Throws when `md` holds no table.
 */
export function parseMarkdownTable(md: string): { columns: string[]; rows: string[][] } {
  const lines = md.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l, i) => l.startsWith('|') && /^\|[\s:|-]+\|$/.test(lines[i + 1] ?? ''));
  if (start < 0) throw new RangeError('parseMarkdownTable: no Markdown table found');
  const cells = (l: string): string[] => l.slice(1, l.endsWith('|') ? -1 : undefined).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(cells(l));
  }
  return { columns: cells(lines[start]!), rows };
}
