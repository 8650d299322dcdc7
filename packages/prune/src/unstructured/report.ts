import { Model, type Param } from '@bonsai/core';
import { isPrunable, resolveTarget, type PruneTarget } from './targets';

/** Sparsity of one param. */
export interface SparsityRow {
  /** Param name (`node/role`). */
  name: string;
  shape: number[];
  /** Number of entries. */
  size: number;
  /** Zeros of the effective value (masked entries and exact zeros). */
  zeros: number;
  /** `zeros / size`. */
  sparsity: number;
  /** Whether a mask is attached. */
  masked: boolean;
}

/** Per-param rows plus the total over them. */
export interface SparsityReport {
  rows: SparsityRow[];
  total: { size: number; zeros: number; sparsity: number };
}

/** Options of {@link sparsityReport}. */
export interface SparsityReportOptions {
  /** `'weights'` (default: every `kernel`), `'all'` (biases, BN too), or explicit names / node ids. */
  params?: 'weights' | 'all' | readonly string[];
}

/** Counts zeros per layer and overall (torch tutorials' "global sparsity" printout, as data). */
export function sparsityReport(target: PruneTarget, options: SparsityReportOptions = {}): SparsityReport {
  const sel = options.params ?? 'weights';
  let params: Param[];
  if (sel === 'all') params = target instanceof Model ? [...target.params.values()] : resolveTarget(target);
  else if (sel === 'weights') params = target instanceof Model ? [...target.params.values()].filter(isPrunable) : resolveTarget(target);
  else params = resolveTarget(target, sel);
  const rows = params.map((p) => {
    const zeros = countEffectiveZeros(p);
    return { name: p.name, shape: [...p.shape], size: p.size, zeros, sparsity: p.size ? zeros / p.size : 0, masked: p.mask !== undefined };
  });
  const size = rows.reduce((a, r) => a + r.size, 0);
  const zeros = rows.reduce((a, r) => a + r.zeros, 0);
  return { rows, total: { size, zeros, sparsity: size ? zeros / size : 0 } };
}

function countEffectiveZeros(p: Param): number {
  const v = p.value.dataSync() as Float32Array;
  const m = p.mask?.dataSync() as Float32Array | undefined;
  let z = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0 || (m !== undefined && m[i] === 0)) z++;
  return z;
}

/** Formats a {@link SparsityReport} as a Markdown table (one row per param plus a total). */
export function formatSparsityReport(report: SparsityReport, title = 'Sparsity'): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `### ${title}`,
    '',
    '| param | shape | size | zeros | sparsity | masked |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...report.rows.map((r) => `| ${r.name} | [${r.shape.join(', ')}] | ${r.size} | ${r.zeros} | ${pct(r.sparsity)} | ${r.masked ? 'yes' : 'no'} |`),
    `| **total** | | ${report.total.size} | ${report.total.zeros} | ${pct(report.total.sparsity)} | |`,
  ];
  return lines.join('\n');
}
