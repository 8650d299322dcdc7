import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model, type Param } from '@bonsai/core';
import { checkSparsity } from './amount';
import { globalUnstructured, type UnstructuredImportance } from './global';
import { countZeros, maskValues } from './mask';
import { resolveTarget } from './targets';

/** Copies of param values taken at one point of training (for weight rewinding). */
export type WeightSnapshot = ReadonlyMap<string, Float32Array>;

/**
 * Copies the raw values of `model`'s params (all of them by default, or those named) so that
 * {@link rewindWeights} can restore them later (Frankle & Carbin 2019's rewinding point).
 */
export function snapshotWeights(model: Model, names?: readonly string[]): WeightSnapshot {
  const out = new Map<string, Float32Array>();
  for (const p of model.params.values()) {
    if (names && !names.includes(p.name) && !names.includes(p.nodeId)) continue;
    out.set(p.name, Float32Array.from(p.value.dataSync() as Float32Array));
  }
  return out;
}

/**
 * Writes a {@link snapshotWeights} copy back into `model`'s params, keeping their masks (pruned
 * entries stay pruned; survivors get their saved values). A snapshot entry the model lacks, or
 * of another size, is a ConfigError naming the param.
 */
export function rewindWeights(model: Model, snapshot: WeightSnapshot): void {
  for (const [name, values] of snapshot) {
    const p = model.params.get(name);
    if (!p) throw new ConfigError(`rewindWeights: the model has no param "${name}"`, { param: name });
    if (p.size !== values.length) throw new ConfigError(`rewindWeights: param "${name}" has ${p.size} entries, the snapshot ${values.length}`, { param: name });
  }
  for (const [name, values] of snapshot) {
    const p = model.params.get(name)!;
    const t = tf.tensor(values, p.shape);
    p.assign(t);
    t.dispose();
  }
}

/**
 * Sparsity after each of `rounds` rounds that remove the same fraction of the remaining weights
 * each time and end at `finalSparsity`: `1 - (1 - s)^((r + 1) / rounds)` (Han et al. 2015,
 * Frankle & Carbin 2019; Renda et al. 2020 prune 20% per round).
 */
export function roundSparsities(finalSparsity: number, rounds: number): number[] {
  checkSparsity(finalSparsity, 'finalSparsity');
  if (!Number.isInteger(rounds) || rounds < 1) throw new ConfigError(`roundSparsities: rounds must be a positive integer, got ${String(rounds)}`, { option: 'rounds' });
  return Array.from({ length: rounds }, (_, r) => (r === rounds - 1 ? finalSparsity : 1 - (1 - finalSparsity) ** ((r + 1) / rounds)));
}

/** Options of {@link rewindPruning}. */
export interface RewindPruningOptions {
  /** Sparsity over the pruned params after the last round (required unless `sparsities` is given). */
  finalSparsity?: number;
  /** Prune -> retrain rounds (each removes the same fraction of what is left); default 4. */
  rounds?: number;
  /** Sparsity after each round instead of `finalSparsity` / `rounds` (non-decreasing, each in [0, 1]). */
  sparsities?: readonly number[];
  /**
   * Retrains after each round's pruning. For learning-rate rewinding (Renda et al. 2020) this
   * replays the original training's learning-rate schedule from its start, e.g. a fresh
   * optimizer and `train(model, data, { epochs, lrSchedule })` with the dense run's schedule.
   */
  retrain: (round: number) => void | Promise<void>;
  /**
   * `'lr'` (default; Renda et al. 2020): keep the trained survivors and only replay the LR schedule.
   * `'weights'` (Frankle et al. 2019/2020): also reset the survivors to `snapshot` before retraining.
   */
  rewind?: 'lr' | 'weights';
  /** Values to rewind to when `rewind: 'weights'` (see {@link snapshotWeights}). */
  snapshot?: WeightSnapshot;
  /** One magnitude threshold over all params (default true) or one per param. */
  global?: boolean;
  /** Params to prune (names or node ids); default every `kernel`. */
  params?: readonly string[];
  /** Entry scores (default `|w|`); pruned entries stay pruned regardless. */
  importance?: UnstructuredImportance;
  /** Called after each round's retraining (evaluation, logging); return false to stop early. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback may return nothing (go on) or false (stop)
  onRound?: (round: RewindRound) => void | boolean | Promise<void | boolean>;
}

/** One round of {@link rewindPruning}. */
export interface RewindRound {
  round: number;
  /** Target sparsity of the round. */
  target: number;
  /** Mask sparsity over the pruned params after pruning. */
  sparsity: number;
}

/** Outcome of {@link rewindPruning}. */
export interface RewindPruningResult {
  rounds: RewindRound[];
  /** Mask sparsity over the pruned params at the end. */
  sparsity: number;
}

function maskSparsity(params: readonly Param[]): { zeros: number; size: number } {
  let zeros = 0;
  let size = 0;
  for (const p of params) {
    zeros += countZeros(maskValues(p));
    size += p.size;
  }
  return { zeros, size };
}

/**
 * Iterative magnitude pruning with rewinding. Each round prunes the lowest-magnitude surviving
 * weights (globally by default) up to the round's sparsity, optionally rewinds the survivors to a
 * snapshot (`rewind: 'weights'`, lottery-ticket style), then calls `retrain`. With the default
 * `rewind: 'lr'` this is learning-rate rewinding (Renda, Frankle & Carbin, "Comparing Rewinding
 * and Fine-tuning in Neural Network Pruning", ICLR 2020): the weights keep their trained values
 * and `retrain` replays the full learning-rate schedule, instead of fine-tuning at a small LR.
 * Masks only grow: a pruned weight is never revived.
 */
export async function rewindPruning(model: Model, options: RewindPruningOptions): Promise<RewindPruningResult> {
  const rewind = options.rewind ?? 'lr';
  if (rewind !== 'lr' && rewind !== 'weights') throw new ConfigError(`rewindPruning: rewind must be 'lr' or 'weights', got ${String(rewind)}`, { option: 'rewind' });
  if (rewind === 'weights' && !options.snapshot) throw new ConfigError("rewindPruning: rewind: 'weights' needs a snapshot (snapshotWeights(model) at the rewinding point)", { option: 'snapshot' });
  if (typeof options.retrain !== 'function') throw new ConfigError('rewindPruning: retrain must be a function', { option: 'retrain' });
  if (!options.sparsities && options.finalSparsity === undefined) throw new ConfigError('rewindPruning: give finalSparsity (and rounds) or sparsities', { option: 'finalSparsity' });
  const targets = options.sparsities ? [...options.sparsities] : roundSparsities(options.finalSparsity!, options.rounds ?? 4);
  targets.forEach((s, i) => {
    checkSparsity(s, `sparsities[${i}]`);
    if (i > 0 && s < targets[i - 1]!) throw new ConfigError(`rewindPruning: sparsities must not decrease (round ${i}: ${s} < ${targets[i - 1]})`, { option: 'sparsities' });
  });
  if (targets.length === 0) throw new ConfigError('rewindPruning: sparsities is empty', { option: 'sparsities' });
  const params = resolveTarget(model, options.params);
  const rounds: RewindRound[] = [];
  for (let r = 0; r < targets.length; r++) {
    const target = targets[r]!;
    // Local: each param is its own group (one threshold per param).
    const groups = (options.global ?? true) ? [params] : params.map((p) => [p]);
    for (const group of groups) {
      const { zeros, size } = maskSparsity(group);
      const count = Math.max(0, Math.round(target * size) - zeros);
      globalUnstructured(group, { amount: { count }, ...(options.importance ? { importance: options.importance } : {}) });
    }
    if (rewind === 'weights') rewindWeights(model, options.snapshot!);
    const { zeros, size } = maskSparsity(params);
    const info: RewindRound = { round: r, target, sparsity: size ? zeros / size : 0 };
    rounds.push(info);
    await options.retrain(r);
    if ((await options.onRound?.(info)) === false) break;
  }
  const { zeros, size } = maskSparsity(params);
  return { rounds, sparsity: size ? zeros / size : 0 };
}
