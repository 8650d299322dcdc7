import { axisMagnitudes, checkNormOrder, ConfigError, smallestK, type Model, type NodeId } from '@bonsai/core';
import { internalGroups, type InternalGroup } from '@bonsai/graph';

/** Options of {@link headImportance}. */
export interface HeadImportanceOptions {
  /** Norm order: 1 (L1, default) or 2 (L2, summed squares) of each head's weights. */
  p?: number;
  /** Count the biases too (default false: weights only, as Torch-Pruning's magnitude importance). */
  bias?: boolean;
}

/**
 * Magnitude importance of an internal group's units (attention heads or head dims): the sum of
 * `|w|^p` over every weight the unit owns (its Wq/Wk/Wv or Wqkv columns and Wo rows), through
 * core's one magnitude ranking (`axisMagnitudes`). Masks count (masked weights score 0).
 */
export function headImportance(group: InternalGroup, options: HeadImportanceOptions = {}): Float32Array {
  const p = checkNormOrder(options.p ?? 1, 'headImportance.p');
  const scores = new Float32Array(group.count);
  for (const m of group.members()) {
    const param = group.model.params.get(m.name)!;
    if (!options.bias && param.shape.length < 2) continue;
    const values = param.value.dataSync();
    const mask = param.mask?.dataSync();
    const [perPosition] = axisMagnitudes(values, param.shape, [m.axis], mask ? { p, mask } : { p });
    m.indices.forEach((i, k) => {
      const u = m.units[k]!;
      scores[u] = scores[u]! + perPosition![i]!;
    });
  }
  return scores;
}

/** What {@link InternalPlanner} prunes. */
export interface InternalPlannerOptions {
  /** Prune whole attention heads. */
  heads: boolean;
  /** Prune head dims (the same dims in every head). */
  headDims: boolean;
  /** Nodes left alone. */
  ignored: readonly NodeId[];
  importance: HeadImportanceOptions;
}

/**
 * Plans and applies the internal-structure part of a Pruner step: every attention node loses the
 * lowest-scored heads (head dims) until `ratio` of its initial count is gone, keeping at least one.
 */
export class InternalPlanner {
  private readonly groups: InternalGroup[];
  private readonly initial: number[];

  constructor(model: Model, readonly options: InternalPlannerOptions) {
    const names = [...(options.heads ? ['heads'] : []), ...(options.headDims ? ['headDims'] : [])];
    this.groups = names.length ? internalGroups(model, { names, ignored: options.ignored }) : [];
    this.initial = this.groups.map((g) => g.count);
  }

  /** Removes units for a scheduled ratio; returns how many units were removed. */
  apply(ratio: number): number {
    let removed = 0;
    this.groups.forEach((g, i) => {
      const initial = this.initial[i]!;
      const count = g.count;
      const n = Math.min(count - 1, Math.floor(initial * ratio + 1e-9) - (initial - count));
      if (n <= 0) return;
      const scores = headImportance(g, this.options.importance);
      g.prune([...smallestK(scores, n)].sort((a, b) => a - b));
      removed += n;
    });
    return removed;
  }
}

/** Validates a head ratio. */
export function checkHeadRatio(r: number): number {
  if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw new ConfigError(`Pruner: headRatio must be in [0, 1), got ${r}`, { key: 'headRatio' });
  return r;
}
