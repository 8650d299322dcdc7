import { ConfigError, type Model } from '@bonsai/core';
import { evaluate, type EvaluateOptions, type Metrics } from './evaluate';
import { formatBytes, formatCount, formatMs, formatPercent, formatRatio, markdownTable } from './format';

/** Baseline ÷ row for size and cost metrics: 4 means "4x smaller / fewer / faster". */
export interface Ratios {
  params: number;
  nonZero: number;
  macs: number;
  effectiveMacs: number;
  bytes: number;
  /** Median latency speed-up, when both rows were timed. */
  latency?: number;
}

/** Row minus baseline, in fractions (multiply by 100 for percentage points). */
export interface Deltas {
  accuracy?: number;
  topK?: number;
}

/** One row of a {@link Comparison}'s JSON form: the row's metrics (latency summarized), ratios and deltas. */
export interface ComparisonRow extends Omit<Metrics, 'latency'> {
  /** Median / p95 / mean latency (ms) and batch, when timed. */
  latency?: { median: number; p95: number; mean: number; batch: number; backend: string };
  ratios: Ratios;
  deltas: Deltas;
}

/** A comparison as a Markdown table and as JSON. */
export interface Comparison {
  markdown: string;
  json: { baseline: string; rows: ComparisonRow[] };
}

/** Options of {@link compare}. */
export interface CompareOptions {
  /** Baseline row: index or name (default the first row). */
  baseline?: number | string;
}

/**
 * Tabulates metrics side by side (params, non-zeros, sparsity, MACs, effective MACs, size,
 * latency, accuracy) with ratios against the baseline (baseline ÷ row, so 4.00x = 4 times
 * smaller or faster) and accuracy deltas in percentage points. Columns nobody measured are left out.
 * `compare(before, after)` is `compare([before, after])`.
 */
export function compare(before: Metrics, after: Metrics, options?: CompareOptions): Comparison;
/** Compares several rows against one baseline (the first unless `baseline` says otherwise). */
export function compare(rows: readonly Metrics[], options?: CompareOptions): Comparison;
export function compare(a: Metrics | readonly Metrics[], b?: Metrics | CompareOptions, c?: CompareOptions): Comparison {
  const rows = Array.isArray(a) ? (a as readonly Metrics[]) : [a as Metrics, b as Metrics];
  const options = (Array.isArray(a) ? b : c) as CompareOptions | undefined;
  if (rows.length === 0) throw new ConfigError('compare: no rows', {}, { code: 'DATA' });
  for (const [i, r] of rows.entries()) {
    if (!r || typeof r.params !== 'number') throw new ConfigError(`compare: row ${i} is not a Metrics object (use evaluate())`, {}, { code: 'DATA' });
  }
  const bi = baselineIndex(rows, options?.baseline);
  const base = rows[bi]!;
  const json: ComparisonRow[] = rows.map((r) => toRow(r, base));
  return { markdown: toMarkdown(json, bi), json: { baseline: base.name, rows: json } };
}

/** Evaluates each `{ name, model }` with the same options, then compares (first = baseline). */
export async function compareModels(entries: ReadonlyArray<{ name: string; model: Model }>, options: Omit<EvaluateOptions, 'name' | 'data'> & CompareOptions = {}): Promise<Comparison> {
  const { baseline, ...evalOptions } = options;
  const metrics: Metrics[] = [];
  for (const e of entries) metrics.push(await evaluate(e.model, { ...evalOptions, name: e.name }));
  return compare(metrics, { baseline });
}

function baselineIndex(rows: readonly Metrics[], b: number | string | undefined): number {
  if (b === undefined) return 0;
  const i = typeof b === 'number' ? b : rows.findIndex((r) => r.name === b);
  if (!Number.isInteger(i) || i < 0 || i >= rows.length) throw new ConfigError(`compare: baseline ${JSON.stringify(b)} is not one of the ${rows.length} rows`, { baseline: b });
  return i;
}

function toRow(r: Metrics, base: Metrics): ComparisonRow {
  const ratio = (x: number, y: number): number => (y === 0 ? (x === 0 ? 1 : Infinity) : x / y);
  const ratios: Ratios = {
    params: ratio(base.params, r.params),
    nonZero: ratio(base.nonZero, r.nonZero),
    macs: ratio(base.macs, r.macs),
    effectiveMacs: ratio(base.effectiveMacs, r.effectiveMacs),
    bytes: ratio(base.bytes, r.bytes),
  };
  if (r.latency && base.latency) ratios.latency = ratio(base.latency.median, r.latency.median);
  const deltas: Deltas = {};
  if (r.accuracy !== undefined && base.accuracy !== undefined) deltas.accuracy = r.accuracy - base.accuracy;
  if (r.topK && base.topK && r.topK.k === base.topK.k) deltas.topK = r.topK.accuracy - base.topK.accuracy;
  const row: ComparisonRow = {
    name: r.name, params: r.params, trainableParams: r.trainableParams, nonZero: r.nonZero, sparsity: r.sparsity, macs: r.macs,
    effectiveMacs: r.effectiveMacs, bytes: r.bytes, ratios, deltas,
  };
  if (r.accuracy !== undefined) row.accuracy = r.accuracy;
  if (r.topK) row.topK = { ...r.topK };
  if (r.latency) {
    const { median, p95, mean, batch, backend } = r.latency;
    row.latency = { median, p95, mean, batch, backend };
  }
  return row;
}

function toMarkdown(rows: readonly ComparisonRow[], bi: number): string {
  const withRatio = (text: string, r: number | undefined, i: number): string => (i === bi || r === undefined ? text : `${text} (${formatRatio(r)})`);
  const pp = (d: number | undefined): string => (d === undefined ? '' : ` (${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(2)} pp)`);
  const dash = '—';
  const cols: Array<{ title: string; cell: (r: ComparisonRow, i: number) => string; show: boolean }> = [
    { title: 'model', cell: (r, i) => (i === bi ? `${r.name} (baseline)` : r.name), show: true },
    { title: 'params', cell: (r, i) => withRatio(formatCount(r.params), r.ratios.params, i), show: true },
    { title: 'non-zero', cell: (r, i) => withRatio(formatCount(r.nonZero), r.ratios.nonZero, i), show: true },
    { title: 'sparsity', cell: (r) => formatPercent(r.sparsity, 1), show: true },
    { title: 'MACs', cell: (r, i) => withRatio(formatCount(r.macs), r.ratios.macs, i), show: true },
    { title: 'eff. MACs', cell: (r, i) => withRatio(formatCount(r.effectiveMacs), r.ratios.effectiveMacs, i), show: true },
    { title: 'size', cell: (r, i) => withRatio(formatBytes(r.bytes), r.ratios.bytes, i), show: true },
    {
      title: `latency p50${latencyBatch(rows)}`,
      cell: (r, i) => (r.latency ? withRatio(formatMs(r.latency.median), r.ratios.latency, i) : dash),
      show: rows.some((r) => r.latency),
    },
    {
      title: 'accuracy',
      cell: (r, i) => (r.accuracy === undefined ? dash : formatPercent(r.accuracy) + (i === bi ? '' : pp(r.deltas.accuracy))),
      show: rows.some((r) => r.accuracy !== undefined),
    },
    {
      title: `top-${rows.find((r) => r.topK)?.topK?.k ?? 'k'}`,
      cell: (r, i) => (r.topK ? formatPercent(r.topK.accuracy) + (i === bi ? '' : pp(r.deltas.topK)) : dash),
      show: rows.some((r) => r.topK),
    },
  ];
  const shown = cols.filter((c) => c.show);
  const table = markdownTable(shown.map((c) => c.title), rows.map((r, i) => shown.map((c) => c.cell(r, i))));
  return `${table}\n\nRatios in parentheses are baseline ÷ row (higher = smaller / faster); accuracy changes in percentage points.`;
}

function latencyBatch(rows: readonly ComparisonRow[]): string {
  const batches = new Set(rows.flatMap((r) => (r.latency ? [r.latency.batch] : [])));
  return batches.size === 1 ? ` (batch ${[...batches][0]})` : '';
}
