import { formatPercent, markdownTable } from '@bonsai/eval';
import type { Allocation } from './allocate';
import type { ResolvedTarget, TargetMetric } from './targets';

/** One bounded metric: the bound, the prediction and the measurement. */
export interface TargetRow {
  metric: TargetMetric;
  asked: string;
  limit: number;
  dense: number;
  predicted: number;
  measured: number;
  /** predicted / the dense value the prediction is based on (for latency: the table's dense pass). */
  predictedFraction: number;
  /** measured / dense (for latency: over the dense model re-timed alongside the result). */
  measuredFraction: number;
  met: boolean;
}

/** The report of {@link compressToBudget}. */
export interface BudgetReport {
  /** `accuracy` (labels given) or `agreement` (with the dense model's top-1). */
  metric: 'accuracy' | 'agreement';
  baseline: number;
  /** Score right after pruning, before fine-tuning. */
  prunedScore: number;
  /** Score after fine-tuning (what `drop` measures). */
  score: number;
  drop: { predicted: number; measured: number; maxDrop: number; met: boolean };
  targets: TargetRow[];
  /** The allocator found ratios predicted to meet every target. */
  feasible: boolean;
  /** Every target and maxDrop measured as met. */
  met: boolean;
  /** Plain-language verdict. */
  summary: string;
  markdown: string;
}

/** Inputs of {@link buildReport}. */
export interface ReportInputs {
  metric: 'accuracy' | 'agreement';
  baseline: number;
  prunedScore: number;
  score: number;
  maxDrop: number;
  targets: readonly ResolvedTarget[];
  allocation: Allocation;
  measured: Partial<Record<TargetMetric, number>>;
  denseLatencyNow?: number;
  fineTuned: boolean;
  /** An extra sentence for the verdict (e.g. the chosen weight precisions). */
  note?: string;
}

const fmt = (m: TargetMetric, v: number): string => (m === 'latencyMs' ? `${v.toFixed(2)} ms` : m === 'sizeBytes' ? `${Math.round(v).toLocaleString('en-US')} B` : Math.round(v).toLocaleString('en-US'));
const pts = (v: number): string => `${(100 * v).toFixed(2)} pt`;

/** Predicted vs measured per target and for the drop, with a verdict that names what was not met. */
export function buildReport(i: ReportInputs): BudgetReport {
  const rows: TargetRow[] = i.targets.map((t) => {
    const measured = i.measured[t.metric]!;
    const dense = t.metric === 'latencyMs' && i.denseLatencyNow ? i.denseLatencyNow : t.dense;
    const fraction = measured / dense;
    // Fractions are checked against the dense model measured now (the machine's load changes absolute ms).
    const met = t.asked.endsWith('x') ? fraction <= Number(t.asked.slice(0, -1)) * (1 + 1e-9) : measured <= t.limit * (1 + 1e-9);
    const predicted = i.allocation.predicted[t.metric]!;
    return { metric: t.metric, asked: t.asked, limit: t.limit, dense, predicted, measured, predictedFraction: predicted / t.dense, measuredFraction: fraction, met };
  });
  const measuredDrop = i.baseline - i.score;
  const dropMet = measuredDrop <= i.maxDrop + 1e-12;
  const missed = rows.filter((r) => !r.met);
  const parts: string[] = [];
  if (!i.allocation.feasible) parts.push(`No ratio assignment up to the ratio cap is predicted to meet ${missed.length ? missed.map((r) => `${r.metric} <= ${r.asked}`).join(', ') : 'the targets'}: the budget cannot be met by channel pruning.`);
  if (missed.length) parts.push(`Not met: ${missed.map((r) => `${r.metric} measured ${fmt(r.metric, r.measured)} (${r.measuredFraction.toFixed(3)}x) vs bound ${r.asked}`).join('; ')}.`);
  if (!dropMet) parts.push(`The ${i.metric} drop is ${pts(measuredDrop)} (predicted ${pts(i.allocation.predictedDrop)}), above maxDrop ${pts(i.maxDrop)}: the target cannot be met within maxDrop${i.fineTuned ? ' even after KD fine-tuning' : ' without fine-tuning (give data.train)'}.`);
  if (!parts.length) parts.push(`All targets met with an ${i.metric} drop of ${pts(measuredDrop)} (maxDrop ${pts(i.maxDrop)}).`);
  const table = markdownTable(
    ['metric', 'bound', 'dense', 'predicted', 'measured', 'predicted ÷ dense', 'measured ÷ dense', 'met'],
    [
      ...rows.map((r) => [r.metric, `${r.asked}${r.asked.endsWith('x') ? ` (${fmt(r.metric, r.limit)})` : ''}`, fmt(r.metric, r.dense), fmt(r.metric, r.predicted), fmt(r.metric, r.measured), `${r.predictedFraction.toFixed(3)}x`, `${r.measuredFraction.toFixed(3)}x`, r.met ? 'yes' : 'NO']),
      [`${i.metric} drop`, `<= ${pts(i.maxDrop)}`, formatPercent(i.baseline), pts(i.allocation.predictedDrop), pts(measuredDrop), '', `pruned ${formatPercent(i.prunedScore)}, final ${formatPercent(i.score)}`, dropMet ? 'yes' : 'NO'],
    ],
  );
  if (i.note) parts.push(`${i.note.charAt(0).toUpperCase()}${i.note.slice(1)}.`);
  const summary = parts.join(' ');
  return {
    metric: i.metric,
    baseline: i.baseline,
    prunedScore: i.prunedScore,
    score: i.score,
    drop: { predicted: i.allocation.predictedDrop, measured: measuredDrop, maxDrop: i.maxDrop, met: dropMet },
    targets: rows,
    feasible: i.allocation.feasible,
    met: dropMet && missed.length === 0,
    summary,
    markdown: `${table}\n\n${summary}`,
  };
}
