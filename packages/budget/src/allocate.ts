import { ConfigError, type NodeId } from '@bonsai/core';
import { curveAt, type LossCurve } from '@bonsai/eval';
import type { Ratios, Structure, StructureCost } from './structure';
import type { ResolvedTarget, TargetMetric } from './targets';

/** Options of {@link allocate}. */
export interface AllocateOptions {
  /** Loss curve (predicted drop vs ratio) per group root; a root without one is left whole. */
  curves: ReadonlyMap<NodeId, LossCurve>;
  /** Bounds to meet. */
  targets: readonly ResolvedTarget[];
  /** Latency predictor (needed for a `latencyMs` target), e.g. `latencyPredictor(table)`. */
  latency?: (work: ReadonlyMap<NodeId, number>) => number;
  /** Ratio increment of the greedy search (default 0.05). */
  step?: number;
  /** Highest ratio any group gets (default 0.9). */
  maxRatio?: number;
}

/** The allocator's choice. */
export interface Allocation {
  ratios: Record<NodeId, number>;
  /** Predicted value of every target metric at `ratios`. */
  predicted: Partial<Record<TargetMetric, number>>;
  /** Sum of the groups' predicted drops (sensitivity is taken as additive). */
  predictedDrop: number;
  /** Whether every target is predicted to hold. */
  feasible: boolean;
}

/** The metric values of a ratio assignment under the structure's cost model (and the latency predictor). */
export function predictMetrics(structure: Structure, ratios: Ratios, metrics: readonly TargetMetric[], latency?: AllocateOptions['latency']): Partial<Record<TargetMetric, number>> {
  const c = structure.cost(ratios);
  const out: Partial<Record<TargetMetric, number>> = {};
  for (const m of metrics) out[m] = metricOf(c, m, latency);
  return out;
}

function metricOf(c: StructureCost, m: TargetMetric, latency?: AllocateOptions['latency']): number {
  if (m === 'macs') return c.macs;
  if (m === 'params') return c.params;
  if (m === 'sizeBytes') return c.bytes;
  if (!latency) throw new ConfigError('allocate: a latencyMs target needs a latency predictor (measureLatencyTable + latencyPredictor)', { option: 'latency' });
  return latency(c.work);
}

/**
 * Budget allocation by greedy marginal analysis: from no pruning, repeatedly raises the ratio of
 * the one group (by `step`) whose predicted drop grows least per unit of progress toward the
 * unmet targets (progress = the cut in each unmet metric divided by the gap still to close,
 * capped at 1), until every target holds or no group can go further (then `feasible` is false and
 * the ratios are the furthest the search got). A refinement then undoes unneeded steps and trades
 * steps between pairs of groups while that lowers the predicted drop within the targets. Costs come from {@link Structure.cost}, so the
 * coupling of in- and out-channels in every layer is exact for MACs and params.
 * @throws ConfigError for a bad step or maxRatio, or a latency target without a predictor.
 */
export function allocate(structure: Structure, options: AllocateOptions): Allocation {
  const step = options.step ?? 0.05;
  const maxRatio = options.maxRatio ?? 0.9;
  if (!(step > 0 && step <= 0.5)) throw new ConfigError(`allocate: step must be in (0, 0.5], got ${step}`, { option: 'step' });
  if (!(maxRatio > 0 && maxRatio < 1)) throw new ConfigError(`allocate: maxRatio must be in (0, 1), got ${maxRatio}`, { option: 'maxRatio' });
  const metrics = options.targets.map((t) => t.metric);
  const values = (r: Ratios): number[] => {
    const c = structure.cost(r);
    return metrics.map((m) => metricOf(c, m, options.latency));
  };
  const roots = structure.roots.filter((r) => options.curves.has(r));
  const ratios: Record<NodeId, number> = Object.fromEntries(roots.map((r) => [r, 0]));
  const drop = (root: NodeId, r: number): number => curveAt(options.curves.get(root)!, r);
  let current = values(ratios);
  const unmet = (v: readonly number[]): boolean => v.some((x, i) => x > options.targets[i]!.limit * (1 + 1e-9));
  const level = (r: number): number => Math.min(maxRatio, Math.round(r * 1e6) / 1e6);
  const totalDrop = (r: Ratios): number => roots.reduce((acc, k) => acc + drop(k, r[k] ?? 0), 0);
  while (unmet(current)) {
    let best: { root: NodeId; next: number; v: number[]; score: number; progress: number } | undefined;
    for (const root of roots) {
      // The next level that changes anything (a step can remove no whole channel of a small group).
      for (let next = level(ratios[root]! + step); next > ratios[root]!; next = level(next + step)) {
        const v = values({ ...ratios, [root]: next });
        let progress = 0;
        v.forEach((x, i) => {
          const gap = current[i]! - options.targets[i]!.limit;
          if (gap > 0) progress += Math.min(1, Math.max(0, current[i]! - x) / gap);
        });
        if (progress <= 1e-12) {
          if (next >= maxRatio) break;
          continue;
        }
        const score = (drop(root, next) - drop(root, ratios[root]!)) / progress;
        if (!best || score < best.score - 1e-12 || (Math.abs(score - best.score) <= 1e-12 && progress > best.progress)) best = { root, next, v, score, progress };
        break;
      }
    }
    if (!best) break;
    ratios[best.root] = best.next;
    current = best.v;
  }
  if (!unmet(current)) {
    // Refinement: undo steps the targets do not need, and trade a step between two groups while
    // that lowers the predicted drop and keeps every target (bounded number of passes).
    for (let pass = 0, improved = true; improved && pass < 50; pass++) {
      improved = false;
      for (const down of roots) {
        if (ratios[down]! <= 0) continue;
        const lower = Math.max(0, Math.round((ratios[down]! - step) * 1e6) / 1e6);
        const ups: Array<NodeId | undefined> = [undefined, ...roots.filter((r) => r !== down)];
        for (const up of ups) {
          const trial = { ...ratios, [down]: lower };
          if (up !== undefined) {
            if (ratios[up]! >= maxRatio) continue;
            trial[up] = level(ratios[up]! + step);
          }
          if (totalDrop(trial) >= totalDrop(ratios) - 1e-12) continue;
          const v = values(trial);
          if (unmet(v)) continue;
          Object.assign(ratios, trial);
          current = v;
          improved = true;
          break;
        }
      }
    }
  }
  const predicted: Partial<Record<TargetMetric, number>> = {};
  metrics.forEach((m, i) => {
    predicted[m] = current[i]!;
  });
  return { ratios, predicted, predictedDrop: totalDrop(ratios), feasible: !unmet(current) };
}

/**
 * The uniform baseline: the smallest single ratio (searched in steps of `resolution`, default
 * 0.01, up to `maxRatio`) at which every group meets the targets; `feasible` false when none does.
 */
export function uniformAllocation(structure: Structure, options: Omit<AllocateOptions, 'step'> & { resolution?: number }): Allocation {
  const maxRatio = options.maxRatio ?? 0.9;
  const res = options.resolution ?? 0.01;
  const metrics = options.targets.map((t) => t.metric);
  let r = 0;
  let ratios: Record<NodeId, number> = {};
  let pred = predictMetrics(structure, ratios, metrics, options.latency);
  const ok = (p: Partial<Record<TargetMetric, number>>): boolean => options.targets.every((t) => p[t.metric]! <= t.limit * (1 + 1e-9));
  while (!ok(pred) && r < maxRatio - 1e-9) {
    r = Math.min(maxRatio, Math.round((r + res) * 1e6) / 1e6);
    ratios = Object.fromEntries(structure.roots.map((root) => [root, r]));
    pred = predictMetrics(structure, ratios, metrics, options.latency);
  }
  const predictedDrop = structure.roots.reduce((s, root) => s + (options.curves.has(root) ? curveAt(options.curves.get(root)!, r) : 0), 0);
  return { ratios, predicted: pred, predictedDrop, feasible: ok(pred) };
}
