import * as tf from '@tensorflow/tfjs-core';
import { adam, ConfigError, train, type Model, type NodeId } from '@bonsai/core';
import { kdLossSpec } from '@bonsai/distill';
import { applyPrecisions, chooseMixedPrecision, weightTargets, type WeightPrecision } from '@bonsai/quantize';
import { benchmarkLatency, countMacs, countParams, lossCurves, serializedSize, type SensitivityRow } from '@bonsai/eval';
import { allocate, type Allocation } from './allocate';
import { pruneToRatios } from './apply';
import { DEFAULT_GROUP_RATIOS, groupSensitivity } from './group-sensitivity';
import { importanceOf, type ImportanceName } from './importance';
import { latencyPredictor, measureLatencyTable, type LatencyTable, type LatencyTableOptions } from './latency-model';
import { SweepPool } from './pool';
import { buildReport, type BudgetReport } from './report';
import { matchRate, references, topClasses, type HeldOut } from './score';
import { Structure } from './structure';
import { resolveTargets, type TargetMetric, type Targets } from './targets';

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
  /** Batch-norm re-estimation of each swept clone on up to this many held-out inputs (default 512; 0: off). */
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
  latency?: Omit<LatencyTableOptions, 'pool'> & { parallel?: boolean };
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
  latencyTable?: LatencyTable;
  report: BudgetReport;
}

function oneHot(labels: Int32Array, classes: number): tf.Tensor {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes));
}

/** Measured metric values of `model` (latency: median of a plain pass at `batch`, interleaved rounds with `dense`). */
async function measure(model: Model, dense: Model, metrics: readonly TargetMetric[], latency: { batch: number; runs: number }): Promise<{ values: Partial<Record<TargetMetric, number>>; denseLatency?: number }> {
  const values: Partial<Record<TargetMetric, number>> = {};
  let denseLatency: number | undefined;
  for (const m of metrics) {
    if (m === 'macs') values.macs = countMacs(model).dense;
    else if (m === 'params') values.params = countParams(model);
    else if (m === 'sizeBytes') values.sizeBytes = (await serializedSize(model)).weights;
    else {
      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < 3; round++) {
        a.push((await benchmarkLatency(model, { batch: latency.batch, runs: latency.runs, warmup: 2 })).median);
        b.push((await benchmarkLatency(dense, { batch: latency.batch, runs: latency.runs, warmup: 2 })).median);
      }
      values.latencyMs = a.sort((x, y) => x - y)[1]!;
      denseLatency = b.sort((x, y) => x - y)[1]!;
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
    const latencyOptions = { batch: options.latency?.batch ?? 1, runs: options.latency?.runs ?? 15 };
    let table: LatencyTable | undefined;
    if (wantsLatency) {
      log('measuring the latency table');
      table = await measureLatencyTable(model, structure, { ...options.latency, pool: options.latency?.parallel ? pool : undefined });
    }
    const denseCost = structure.cost({});
    const denseSize = (await serializedSize(model)).weights;
    const targets = resolveTargets(options.target, { macs: denseCost.macs, params: denseCost.params, sizeBytes: denseSize, latencyMs: table?.points[0]?.totalMs });
    log(`sensitivity sweep: ${structure.groups.length} groups x ${(options.sweepRatios ?? DEFAULT_GROUP_RATIOS).length} ratios`);
    const rows = await groupSensitivity(model, data.val.x, labels, { roots: structure.roots, ratios: options.sweepRatios, importance: options.importance, pool, recalibrate: options.recalibrate });
    const latency = table ? latencyPredictor(table) : undefined;
    // Size is measured as the float32 weights file; the cost model counts 4 bytes per value.
    // With mixed precision, pruning aims at the size the values would take at int8 (a quarter).
    const mixed = options.mixedPrecision && targets.some((t) => t.metric === 'sizeBytes') ? (options.mixedPrecision === true ? {} : options.mixedPrecision) : undefined;
    const sizeScale = mixed ? 4 : 1;
    const sizeTargets = targets.map((t) => (t.metric === 'sizeBytes' ? { ...t, limit: t.limit * sizeScale * (denseCost.bytes / denseSize) } : t));
    const allocation = allocate(structure, { curves: lossCurves(rows), targets: sizeTargets, latency, step: options.step, maxRatio: options.maxRatio });
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
