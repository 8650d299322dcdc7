import type * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model, type NodeId } from '@bonsai/core';
import { sensitivity, type SensitivityRow } from '@bonsai/eval';
import { pruneToRatios } from './apply';
import { importanceOf, type ImportanceName } from './importance';
import type { SweepPool } from './pool';
import { matchRate, topClasses } from './score';
import { recalibrateOn, type ScoreTask } from './tasks';

/** Options of {@link groupSensitivity}. */
export interface GroupSensitivityOptions {
  /** Group roots to sweep (e.g. `new Structure(model).roots`). */
  roots: readonly NodeId[];
  /** Ratios per group (default 0.2, 0.4, 0.6, 0.8), each in [0, 1). */
  ratios?: readonly number[];
  /** Channel importance (default 'l2'). */
  importance?: ImportanceName;
  /** Fan the sweep out over this pool's worker threads (default: in this thread). */
  pool?: SweepPool;
  /** Inference batch size (default 256). */
  batchSize?: number;
  /** Re-estimate batch-norm statistics of each pruned clone on up to this many of the inputs before scoring (default 512; 0: off). */
  recalibrate?: number;
}

/** Default ratios of {@link groupSensitivity}. */
export const DEFAULT_GROUP_RATIOS: readonly number[] = [0.2, 0.4, 0.6, 0.8];

/**
 * Per-group sensitivity: for every group root and ratio, physically prunes only that group of a
 * clone (least important channels first), re-estimates its batch-norm statistics on the inputs
 * (label-free; `recalibrate`), and scores the clone's top-1 match rate with `labels`
 * on `x` (accuracy with true labels, agreement with the dense model's classes). In this thread it
 * runs @bonsai/eval's `sensitivity()` with a group prune; with `pool` the same tasks run on the
 * workers and give the same rows (same kernels, same inputs).
 * @throws ConfigError for an empty root list or a ratio outside [0, 1).
 */
export async function groupSensitivity(model: Model, x: tf.Tensor, labels: Int32Array, options: GroupSensitivityOptions): Promise<SensitivityRow[]> {
  const ratios = options.ratios ?? DEFAULT_GROUP_RATIOS;
  if (!options.roots.length) throw new ConfigError('groupSensitivity: no prunable groups (roots is empty)', { option: 'roots' });
  for (const r of ratios) if (!(r >= 0 && r < 1)) throw new ConfigError(`groupSensitivity: ratio ${r} is outside [0, 1)`, { option: 'ratios' });
  const batchSize = options.batchSize ?? 256;
  const recalibrate = options.recalibrate ?? 512;
  if (!options.pool) {
    const importance = importanceOf(options.importance);
    return sensitivity(model, {
      nodes: options.roots,
      ratios,
      evaluate: (m) => matchRate(topClasses(m, x, batchSize), labels),
      prune: (clone, node, ratio) => {
        pruneToRatios(clone, { [node]: ratio }, { importance });
        recalibrateOn(clone, x, recalibrate);
      },
    });
  }
  const tasks: ScoreTask[] = [{ ratios: {}, batchSize }];
  for (const node of options.roots) for (const ratio of ratios) tasks.push({ ratios: { [node]: ratio }, importance: options.importance, batchSize, recalibrate });
  const scores = await options.pool.score(model, x, labels, tasks);
  const baseline = scores[0]!;
  const rows: SensitivityRow[] = [];
  let i = 1;
  for (const node of options.roots) {
    for (const ratio of ratios) {
      const score = scores[i++]!;
      rows.push({ node, ratio, score, baseline, delta: score - baseline });
    }
  }
  return rows;
}
