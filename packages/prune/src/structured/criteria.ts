import * as tf from '@tensorflow/tfjs-core';
import { checkNormOrder, createRng, getOp } from '@bonsai/core';
import type { Group } from '@bonsai/graph';
import { memberScores, paramOf, positionScores, reduceScores, weightMembers, type GroupImportance, type ReductionOptions } from './importance';
import { MagnitudeTable } from './magnitude-table';

/** Options of {@link magnitude}. */
export interface MagnitudeOptions extends ReductionOptions {
  /** Norm order: 1 (L1, sum of |w|) or 2 (L2, sum of w^2); default 2. */
  p?: number;
  /** Include biases and BN betas (default false). */
  bias?: boolean;
}

/**
 * Magnitude importance (Torch-Pruning's GroupMagnitudeImportance): per unit, sum of |w|^p over
 * every member slice (producer out-channels, consumer in-channels, BN/LN gamma), reduced across
 * members and normalized (defaults: p 2, mean reduction, mean normalizer).
 */
export function magnitude(options: MagnitudeOptions = {}): GroupImportance {
  const p = checkNormOrder(options.p ?? 2, 'magnitude: p');
  const reduction = options.reduction ?? 'mean';
  const normalizer = options.normalizer === undefined ? 'mean' : options.normalizer;
  const scoreAll = (groups: readonly Group[]): Array<Float32Array | undefined> => {
    const lists = groups.map((g) => weightMembers(g, options.bias));
    if (groups.length === 0) return [];
    const table = new MagnitudeTable(groups[0]!.dg.model, lists.flat(), p);
    return groups.map((g, i) => reduceScores(lists[i]!.map((m) => positionScores(m, table.at(m), g.size)), g.size, reduction, normalizer));
  };
  return {
    name: `magnitude(L${p})`,
    score: (group: Group) => scoreAll([group])[0],
    scoreAll,
  };
}

/** LAMP (Lee et al. 2021): magnitude (p 2) with the LAMP normalizer. */
export function lamp(options: Omit<MagnitudeOptions, 'normalizer'> = {}): GroupImportance {
  return { ...magnitude({ ...options, normalizer: 'lamp' }), name: 'lamp' };
}

/**
 * BN-scale importance (Network Slimming, Liu et al. 2017): |gamma| of every batch-norm member,
 * reduced across members. Groups without a batch norm get no score (skipped). Default normalizer:
 * none, so a global ranking thresholds raw |gamma| as in the paper.
 */
export function bnScale(options: ReductionOptions = {}): GroupImportance {
  const reduction = options.reduction ?? 'mean';
  const normalizer = options.normalizer === undefined ? null : options.normalizer;
  return {
    name: 'bnScale',
    score(group: Group) {
      const list = group.members().filter((m) => getOp(m.op, m.node).norm === 'batch' && m.role === 'gamma').map((m) => {
        const values = tf.tidy(() => tf.abs(paramOf(group, m).effective()));
        const s = memberScores(m, values, group.size);
        values.dispose();
        return s;
      });
      return reduceScores(list, group.size, reduction, normalizer);
    },
  };
}

/** Random importance (a baseline), seeded. */
export function random(options: { seed?: number } = {}): GroupImportance {
  const rng = createRng(options.seed ?? 0);
  return {
    name: 'random',
    score(group: Group) {
      return Float32Array.from({ length: group.size }, () => rng());
    },
  };
}
