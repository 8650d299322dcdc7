import type { Callback, Model, Param, TrainState } from '@bonsai/core';
import { ConfigError, smallestK } from '@bonsai/core';
import { importanceOf, pruneGlobally, type UnstructuredImportance } from './global';
import { commitMask, countZeros, maskValues, type MaskChange } from './mask';
import type { PruningSchedule } from './schedules';
import { unprunedIndices } from './select';
import { resolveTarget } from './targets';

/** Options of {@link gradualPruning}. */
export interface GradualPruningOptions {
  /** Target sparsity over steps: {@link agp}, {@link polynomialDecay}, {@link linearSparsity}, {@link constantSparsity}. */
  schedule: PruningSchedule;
  /** Model whose weights are pruned; default: the model being trained. */
  model?: Model;
  /** Params to prune: names / node ids of the model, or Param objects; default: every `kernel`. */
  params?: readonly string[] | readonly Param[];
  /** One threshold over all params (layers get different sparsities) instead of one per param. */
  global?: boolean;
  /** Entry scores (default `|w|`); pruned entries stay pruned regardless. */
  importance?: UnstructuredImportance;
}

/** One mask update of a {@link GradualPruning} callback. */
export interface GradualPruningEvent {
  /** Pruning step at which masks were updated. */
  step: number;
  /** Target sparsity of the schedule at that step. */
  target: number;
  /** Mask sparsity over the pruned params after the update. */
  sparsity: number;
}

/** A training callback that prunes gradually; also usable by hand in custom loops. */
export interface GradualPruning extends Callback {
  /** Every mask update so far. */
  readonly history: GradualPruningEvent[];
  /** Pruning steps seen (batches), persistent across `train()` calls like tfmot's pruning step. */
  readonly step: number;
  /** Brings the masks to the schedule's sparsity at `step` (ignores `shouldPrune`). */
  update(step: number, model?: Model): MaskChange[];
}

/**
 * Gradual magnitude pruning as a core `train()` callback (tfmot's `prune_low_magnitude` +
 * `UpdatePruningStep`): before each batch whose step the schedule selects, masks grow so that
 * the fraction of pruned entries is `round(schedule.sparsity(step) * size)` (per param, or over
 * all params when `global`). Entries are pruned by lowest `|w|` among those still unpruned, so
 * masks only grow and combine with earlier pruning.
 */
export function gradualPruning(options: GradualPruningOptions): GradualPruning {
  const { schedule } = options;
  if (!schedule || typeof schedule.sparsity !== 'function') throw new ConfigError('gradualPruning: a schedule is required', {});
  let params: Param[] | undefined;
  let step = 0;
  const history: GradualPruningEvent[] = [];

  const resolve = (model: Model | undefined): Param[] => {
    if (params) return params;
    const given = options.params;
    if (given && given.length > 0 && typeof given[0] !== 'string') params = [...(given as readonly Param[])];
    else {
      const m = options.model ?? model;
      if (!m) throw new ConfigError('gradualPruning: no model to prune (pass { model } or { params })', {});
      params = resolveTarget(m, given as readonly string[] | undefined);
    }
    return params;
  };

  const update = (at: number, model?: Model): MaskChange[] => {
    const ps = resolve(model);
    const target = schedule.sparsity(at);
    const changes = options.global ? pruneGlobalTo(ps, target, options.importance) : ps.map((p) => pruneLocalTo(p, target, options.importance));
    const size = changes.reduce((a, c) => a + c.size, 0);
    const pruned = changes.reduce((a, c) => a + c.pruned, 0);
    history.push({ step: at, target, sparsity: size ? pruned / size : 0 });
    return changes;
  };

  return {
    history,
    get step() {
      return step;
    },
    update,
    onTrainBegin(s: TrainState) {
      resolve(s.model);
    },
    onBatchBegin(s: TrainState) {
      if (schedule.shouldPrune(step)) update(step, s.model);
      step++;
    },
  };
}

function pruneLocalTo(p: Param, target: number, importance: UnstructuredImportance | undefined): MaskChange {
  const mask = maskValues(p);
  const add = Math.round(target * p.size) - countZeros(mask);
  const scores = add > 0 ? importanceOf(p, importance) : undefined;
  return commitMask(p, mask, scores ? smallestK(scores, add, unprunedIndices(mask, p.size)) : []);
}

function pruneGlobalTo(ps: Param[], target: number, importance: UnstructuredImportance | undefined): MaskChange[] {
  const total = ps.reduce((a, p) => a + p.size, 0);
  const want = Math.round(target * total);
  return pruneGlobally(ps, ps.map(maskValues), ps.map((p) => importanceOf(p, importance)), (alive) => Math.max(0, want - (total - alive)));
}
