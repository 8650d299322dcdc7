import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, getOp } from '@bonsai/core';
import type { Group } from '@bonsai/graph';
import { memberScores, paramOf, reduceScores, weightMembers, type GroupImportance, type ReductionOptions } from './importance';

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
  const p = options.p ?? 2;
  if (!(p > 0)) throw new ConfigError(`magnitude: p must be > 0, got ${p}`, { key: 'p' });
  const reduction = options.reduction ?? 'mean';
  const normalizer = options.normalizer === undefined ? 'mean' : options.normalizer;
  return {
    name: `magnitude(L${p})`,
    score(group: Group) {
      const list = weightMembers(group, options.bias).map((m) => {
        const values = tf.tidy(() => tf.pow(tf.abs(paramOf(group, m).effective()), p));
        const s = memberScores(m, values, group.size);
        values.dispose();
        return s;
      });
      return reduceScores(list, group.size, reduction, normalizer);
    },
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
