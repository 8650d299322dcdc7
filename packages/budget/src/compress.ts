import * as tf from '@tensorflow/tfjs-core';
import { adam, ConfigError, train, type Model, type NodeId } from '@bonsai/core';
import { kdLossSpec } from '@bonsai/distill';
import { applyPrecisions, chooseMixedPrecision, weightTargets, type WeightPrecision } from '@bonsai/quantize';
import { countMacs, countParams, lossCurves, serializedSize, type SensitivityRow } from '@bonsai/eval';
import { allocate, type Allocation } from './allocate';
import { pruneToRatios } from './apply';
import { DEFAULT_GROUP_RATIOS, groupSensitivity } from './group-sensitivity';
import { importanceOf, type ImportanceName } from './importance';
import { fitLatency } from './latency-fit';
import { latencyPredictor, measureLatencyTable, type LatencyTable, type LatencyTableOptions } from './latency-model';
import { SweepPool } from './pool';
import { buildReport, type BudgetReport } from './report';
import { matchRate, references, topClasses, type HeldOut } from './score';
import { Structure } from './structure';
import { recalibrateOn, runTimeTask, timeModels, type LatencyClock } from './tasks';
import { resolveTargets, type ResolvedTarget, type TargetMetric, type Targets } from './targets';

/** Data of {@link compressToBudget}: `val` scores sensitivity and the result; `train` fine-tunes (optional). */
export interface BudgetData {
  val: HeldOut;
  train?: HeldOut;
}

/** KD fine-tuning after pruning (from the dense model as teacher). */
export interface FineTuneOptions {
  /** Epochs over `data.train` (default 1; 0 skips fine-tuning). */
  epochs?: number;
  batchSize?: number;
  lr?: number;
  temperature?: number;
  /** Weight of the KD term (default 0.9; 1 when `data.train` has no labels). */
  alpha?: number;
  /** Shuffle seed (default 0). */
  seed?: number;
}

/** Options of {@link compressToBudget}. */
export interface CompressOptions {
  /** Upper bounds, absolute or `{ fraction }` of the dense model, e.g. `{ latencyMs: { fraction: 0.5 } }`. */
  target: Targets;
  /** Largest allowed loss of accuracy (or agreement) as a fraction: 0.01 = one point. */
  maxDrop: number;
  /** Ratios of the per-group sensitivity sweep (default 0.2, 0.4, 0.6, 0.8). */
  sweepRatios?: readonly number[];
  /** Channel importance (default 'l2'). */
  importance?: ImportanceName;
  /** Batch-norm re-estimation of each swept clone on up to this many held-out inputs, and of the fine-tuned model on as many training inputs (default 512; 0: off). */
  recalibrate?: number;
  /** Worker threads for the sweep and the latency table (default 1: this thread). */
  workers?: number;
  /** A pool to reuse (overrides `workers`; not destroyed here). */
  pool?: SweepPool;
  /**
   * Latency model settings (used with a `latencyMs` target). `parallel` times the table's
   * configurations in the worker pool too (default false: timing threads side by side on a busy
   * machine skews absolute milliseconds; the sweep always uses the pool).
   */
  latency?: Omit<LatencyTableOptions, 'pool'> & {
    parallel?: boolean;
    /**
     * Closed-loop rounds (default 3): the allocation's widths are timed against the dense model;
     * while the measured latency misses the bound (or undershoots it by more than 5%), that point
     * joins the fit and the allocator's bound is scaled by bound / measured before re-planning; the
     * measured plan meeting the bound with the least predicted drop is kept. 0: trust the fit.
     */
    refine?: number;
  };
  /** Allocator step and ratio cap (defaults 0.05 and 0.9). */
  step?: number;
  maxRatio?: number;
  fineTune?: FineTuneOptions;
  /**
   * With a `sizeBytes` target: per-layer weight precision (@bonsai/quantize's
   * `chooseMixedPrecision`, int4 / int8 / float16) after pruning. Pruning then aims at the size
   * the weights would take at int8, and the precision search fits the exact byte budget. The size
   * reported is the weights' stored bytes (integers + per-channel scales, or float16) plus the
   * other params in float32; wasm still computes in float32 (no latency change).
   */
  mixedPrecision?: boolean | { precisions?: readonly WeightPrecision[]; samples?: number };
  /** Progress messages. */
  onProgress?: (message: string) => void;
}

/** What {@link compressToBudget} returns: the compressed model (caller disposes), the plan and the report. */
export interface CompressResult {
  model: Model;
  allocation: Allocation;
  sensitivity: SensitivityRow[];
  /** The latency table (with the points the closed loop added after the fitted ones). */
  latencyTable?: LatencyTable;
  report: BudgetReport;
}

function oneHot(labels: Int32Array, classes: number): tf.Tensor {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes));
}

/**
 * Measured metric values of `model`. Latency: the median plain pass at `batch` over `runs`
 * rounds interleaved with `dense` (timed alike, on the table's clock, so the fraction is paired).
 */
async function measure(model: Model, dense: Model, metrics: readonly TargetMetric[], latency: { batch: number; runs: number; clock: LatencyClock }): Promise<{ values: Partial<Record<TargetMetric, number>>; denseLatency?: number }> {
  const values: Partial<Record<TargetMetric, number>> = {};
  let denseLatency: number | undefined;
  for (const m of metrics) {
    if (m === 'macs') values.macs = countMacs(model).dense;
    else if (m === 'params') values.params = countParams(model);
    else if (m === 'sizeBytes') values.sizeBytes = (await serializedSize(model)).weights;
    else {
      const [mine, ref] = await timeModels([model, dense], { batch: latency.batch, runs: latency.runs, warmup: 2, seed: 0, clock: latency.clock });
      values.latencyMs = mine!.median;
      denseLatency = ref!.median;
    }
  }
  return { values, denseLatency };
}

/**
 * Compresses `model` to a budget: per-group sensitivity on `data.val` (accuracy with labels,
 * agreement with the dense model without), a measured wasm latency table when latency is bounded,
 * a greedy allocation of per-group ratios meeting every target with the least predicted drop,
 * physical pruning, KD fine-tuning from the dense model on `data.train`, and a measured report
 * (predicted vs measured per target; it says plainly when a target or `maxDrop` is not met).
 * `model` is not changed.
 * @throws ConfigError for bad options or targets.
 */
export async function compressToBudget(model: Model, data: BudgetData, options: CompressOptions): Promise<CompressResult> {
  if (!data || typeof data !== 'object' || !data.val || !(data.val.x instanceof tf.Tensor)) throw new ConfigError('compressToBudget: data.val.x (held-out inputs) is required', { option: 'data' });
  if (!options || typeof options !== 'object') throw new ConfigError('compressToBudget: options { target, maxDrop } are required', { option: 'options' });
  if (typeof options.maxDrop !== 'number' || !(options.maxDrop >= 0 && options.maxDrop <= 1)) throw new ConfigError(`compressToBudget: maxDrop must be a fraction in [0, 1] (0.01 = one point), got ${options.maxDrop}`, { option: 'maxDrop' });
  const log = options.onProgress ?? (() => undefined);
  const structure = new Structure(model);
  const { metric, labels } = references(model, data.val);
  const baseline = matchRate(topClasses(model, data.val.x), labels);
  const pool = options.pool ?? ((options.workers ?? 1) > 1 ? new SweepPool({ workers: options.workers }) : undefined);
  try {
    const wantsLatency = options.target?.latencyMs !== undefined;
    const latencyOptions = { batch: options.latency?.batch ?? 1, runs: options.latency?.runs ?? 25, clock: options.latency?.clock ?? 'wall' };
    let table: LatencyTable | undefined;
    if (wantsLatency) {
      log('measuring the latency table');
      table = await measureLatencyTable(model, structure, { ...options.latency, pool: options.latency?.parallel ? pool : undefined });
    }
    const denseCost = structure.cost({});
    const denseSize = (await serializedSize(model)).weights;
    // Latency fractions are taken against the fit's own dense prediction, so a bias of the fit cancels.
    let latency = table ? latencyPredictor(table) : undefined;
    const resolve = (): ResolvedTarget[] => resolveTargets(options.target, { macs: denseCost.macs, params: denseCost.params, sizeBytes: denseSize, latencyMs: latency?.(denseCost.work) });
    let targets = resolve();
    log(`sensitivity sweep: ${structure.groups.length} groups x ${(options.sweepRatios ?? DEFAULT_GROUP_RATIOS).length} ratios`);
    const rows = await groupSensitivity(model, data.val.x, labels, { roots: structure.roots, ratios: options.sweepRatios, importance: options.importance, pool, recalibrate: options.recalibrate });
    const curves = lossCurves(rows);
    // Size is measured as the float32 weights file; the cost model counts 4 bytes per value.
    // With mixed precision, pruning aims at the size the values would take at int8 (a quarter).
    const mixed = options.mixedPrecision && targets.some((t) => t.metric === 'sizeBytes') ? (options.mixedPrecision === true ? {} : options.mixedPrecision) : undefined;
    const sizeScale = mixed ? 4 : 1;
    /**
     * Closed loop on the latency bound: the chosen widths are timed against the dense model
     * (interleaved, on the table's clock). While the measured latency misses the bound, or
     * undershoots it by more than 5%, the point joins the fit and the allocator's bound is
     * scaled by bound / measured; of the plans measured, the one meeting the bound with the least
     * predicted drop is kept (else the fastest).
     */
    const closeLatencyLoop = async (first: Allocation): Promise<Allocation> => {
      const t = (): ResolvedTarget => targets.find((x) => x.metric === 'latencyMs')!;
      const bound = t().limit / t().dense; // as a fraction of the dense model
      let aim = bound;
      let current = first;
      const tried: Array<{ allocation: Allocation; measured: number }> = [];
      for (let round = 0; round < (options.latency?.refine ?? 3); round++) {
        const [d, p] = await runTimeTask(model, { configs: [{}, current.ratios], batch: latencyOptions.batch, warmup: 2, runs: latencyOptions.runs, seed: 0, clock: table!.clock });
        const measured = p!.median / d!.median;
        tried.push({ allocation: current, measured });
        log(`latency check ${round + 1}: predicted ${(current.predicted.latencyMs! / t().dense).toFixed(3)}x, measured ${measured.toFixed(3)}x of dense, bound ${bound.toFixed(3)}x`);
        if (measured <= bound * (1 + 1e-9) && measured >= 0.95 * bound) break;
        if (round + 1 === (options.latency?.refine ?? 3)) break;
        table!.points.push({ ratios: current.ratios, ms: measured * table!.points[0]!.ms, minMs: (p!.min / d!.min) * table!.points[0]!.minMs });
        table!.fit = fitLatency(structure, table!.points, table!.fit.terms.map((x) => x.nodes));
        latency = latencyPredictor(table!);
        targets = resolve();
        aim = (aim * bound) / measured;
        current = plan(aim * t().dense);
      }
      const met = tried.filter((x) => x.measured <= bound * (1 + 1e-9));
      const pick = met.length ? met.reduce((a, b) => (b.allocation.predictedDrop < a.allocation.predictedDrop ? b : a)) : tried.reduce((a, b) => (b.measured < a.measured ? b : a));
      // Predictions of the kept plan under the final fit.
      return { ...pick.allocation, predicted: { ...pick.allocation.predicted, latencyMs: latency!(structure.cost(pick.allocation.ratios).work) } };
    };
    // `aim`: the latency bound handed to the allocator (the closed loop below tightens it).
    const plan = (aim?: number): Allocation => {
      const planned = targets.map((t) => (t.metric === 'sizeBytes' ? { ...t, limit: t.limit * sizeScale * (denseCost.bytes / denseSize) } : t.metric === 'latencyMs' && aim !== undefined ? { ...t, limit: aim } : t));
      return allocate(structure, { curves, targets: planned, latency, step: options.step, maxRatio: options.maxRatio });
    };
    let allocation = plan();
    if (table && latency) allocation = await closeLatencyLoop(allocation);
    if (allocation.predicted.sizeBytes !== undefined) allocation.predicted.sizeBytes *= denseSize / denseCost.bytes / sizeScale;
    log(`allocation: ${Object.entries(allocation.ratios).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    let student = model.clone();
    try {
      pruneToRatios(student, allocation.ratios, { importance: importanceOf(options.importance) });
      const prunedScore = matchRate(topClasses(student, data.val.x), labels);
      const ft = options.fineTune ?? {};
      const epochs = ft.epochs ?? 1;
      if (epochs > 0 && data.train) {
        log(`KD fine-tuning: ${epochs} epoch(s)`);
        const y = data.train.y ?? oneHot(topClasses(model, data.train.x), (model.graph.shape(model.graph.outputs[0]!).at(-1)) ?? 1);
        const opt = adam({ lr: ft.lr ?? 1e-3 });
        try {
          await train(student, { x: data.train.x, y }, { loss: kdLossSpec(model, { temperature: ft.temperature ?? 4, alpha: ft.alpha ?? (data.train.y ? 0.9 : 1) }), optimizer: opt, epochs, batchSize: ft.batchSize ?? 64, seed: ft.seed ?? 0 });
          // Short fine-tuning leaves the running statistics behind the new weights.
          recalibrateOn(student, data.train.x, options.recalibrate ?? 512);
        } finally {
          opt.dispose();
          if (!data.train.y) y.dispose();
        }
      }
      let storedBytes: number | undefined;
      let precisionNote: string | undefined;
      if (mixed) {
        const limit = targets.find((t) => t.metric === 'sizeBytes')!.limit;
        const quantizable = [...weightTargets(student, {}).keys()];
        const floatRest = (await serializedSize(student)).weights - 4 * quantizable.reduce((a, n) => a + student.params.get(n)!.size, 0);
        const n = Math.min(mixed.samples ?? 128, data.val.x.shape[0]);
        const sample = tf.slice(data.val.x, [0], [n]);
        try {
          const plan = chooseMixedPrecision(student, sample, { budgetBytes: limit - floatRest, precisions: mixed.precisions });
          const rounded = applyPrecisions(student, plan.precisions);
          student.dispose();
          student = rounded;
          storedBytes = floatRest + plan.bytes;
          const counts = new Map<string, number>();
          for (const p of plan.precisions.values()) counts.set(p, (counts.get(p) ?? 0) + 1);
          precisionNote = `weight precisions: ${[...counts].map(([p, c]) => `${c} x ${p}`).join(', ')}`;
          log(precisionNote);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          precisionNote = `mixed precision could not fit: ${e.message}`;
        } finally {
          sample.dispose();
        }
      }
      const score = matchRate(topClasses(student, data.val.x), labels);
      const measured = await measure(student, model, targets.map((t) => t.metric), latencyOptions);
      if (storedBytes !== undefined) measured.values.sizeBytes = storedBytes;
      const report = buildReport({ metric, baseline, prunedScore, score, maxDrop: options.maxDrop, targets, allocation, measured: measured.values, denseLatencyNow: measured.denseLatency, fineTuned: epochs > 0 && data.train !== undefined, note: precisionNote });
      return { model: student, allocation, sensitivity: rows, latencyTable: table, report };
    } catch (e) {
      student.dispose();
      throw e;
    }
  } finally {
    if (pool && !options.pool) await pool.destroy();
  }
}

/** Group roots of a model's prunable structure (what `Allocation.ratios` is keyed by). */
export function prunableRoots(model: Model): NodeId[] {
  return new Structure(model).roots;
}
