import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Param } from '@bonsai/core';
import type { Group, Member } from '@bonsai/graph';
import { normalizeScores, type Normalizer } from './normalize';

/** How member scores combine into one score per unit of a group. 'first' takes the root's own params. */
export type GroupReduction = 'mean' | 'max' | 'sum' | 'first';

/**
 * A structured importance criterion: one score per unit of a {@link Group} (higher = more
 * important), or undefined when the criterion does not apply (e.g. bnScale without a BN).
 */
export interface GroupImportance {
  readonly name: string;
  score(group: Group): Float32Array | undefined;
  /**
   * Scores many groups at once (the Pruner uses it when present): lets a criterion read each
   * param once for all the groups it belongs to. Must equal `groups.map((g) => score(g))`.
   */
  scoreAll?(groups: readonly Group[]): Array<Float32Array | undefined>;
  /** Called by the Pruner after it pruned (criteria that cache per-param state drop it here). */
  reset?(): void;
}

/** Options shared by the criteria. */
export interface ReductionOptions {
  /** Member-to-group reduction (default 'mean'). */
  reduction?: GroupReduction;
  /** Normalizer of the group scores (default 'mean'). */
  normalizer?: Normalizer;
}

/** Per-unit scores of one member, and which units it covers. */
export interface MemberScores {
  readonly member: Member;
  readonly scores: Float32Array;
  readonly covered: Uint8Array;
}

/**
 * Sums `values` (a tensor shaped like the member's param, e.g. |w|^p) over every axis but the
 * member's, then adds each sliced position into its unit (a flattened channel's features add up).
 */
export function memberScores(member: Member, values: tf.Tensor, units: number): MemberScores {
  const perPosition = tf.tidy(() => {
    const axes = values.shape.map((_, i) => i).filter((i) => i !== member.axis);
    return (axes.length ? tf.sum(values, axes) : values).dataSync() as Float32Array;
  });
  return positionScores(member, perPosition, units);
}

/** Adds per-position scores of a member (its values reduced over every axis but `member.axis`) into its units. */
export function positionScores(member: Member, perPosition: ArrayLike<number>, units: number): MemberScores {
  const scores = new Float32Array(units);
  const covered = new Uint8Array(units);
  const { runs } = member;
  // Runs ascend by position: each unit receives its positions in ascending order, as index by index.
  for (let r = 0; r < runs.length; r += 3) {
    const pos = runs[r]!;
    const unit = runs[r + 1]!;
    const len = runs[r + 2]!;
    for (let j = 0; j < len; j++) {
      scores[unit + j] = scores[unit + j]! + perPosition[pos + j]!;
      covered[unit + j] = 1;
    }
  }
  return { member, scores, covered };
}

/** Reduces member scores to group scores and normalizes them. */
export function reduceScores(list: readonly MemberScores[], units: number, reduction: GroupReduction, normalizer: Normalizer): Float32Array | undefined {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'max' && reduction !== 'first') {
    throw new ConfigError(`Unknown group reduction ${JSON.stringify(reduction)}: use mean, max, sum or first`, { key: 'reduction' });
  }
  if (list.length === 0) return undefined;
  const out = new Float32Array(units);
  if (reduction === 'first') {
    out.set(list[0]!.scores);
    return normalizeScores(out, normalizer);
  }
  const count = new Uint16Array(units);
  if (reduction === 'max') out.fill(-Infinity);
  for (const { scores, covered } of list) {
    for (let u = 0; u < units; u++) {
      if (!covered[u]) continue;
      count[u]!++;
      out[u] = reduction === 'max' ? Math.max(out[u]!, scores[u]!) : out[u]! + scores[u]!;
    }
  }
  for (let u = 0; u < units; u++) {
    if (count[u] === 0) out[u] = 0;
    else if (reduction === 'mean') out[u] = out[u]! / count[u]!;
  }
  return normalizeScores(out, normalizer);
}

/** The param of a member. */
export function paramOf(group: Group, member: Member): Param {
  return group.dg.model.params.get(member.name)!;
}

/** Members whose weights carry importance: trainable, not biases/betas (unless `bias`). */
export function weightMembers(group: Group, bias = false): Member[] {
  return group.members().filter((m) => paramOf(group, m).trainable && (bias || (m.role !== 'bias' && m.role !== 'beta')));
}
