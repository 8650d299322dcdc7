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
 * Scores the units of an internal group (attention heads or head dims), one score per unit, lower
 * is pruned first. `taylor()` is one (|w * dL/dw| of each head's weights); {@link headMagnitude}
 * is the default.
 */
export interface InternalImportance {
  readonly name: string;
  scoreInternal(group: InternalGroup): Float32Array;
  /** Drops state that pruning made stale (the Pruner calls it after a step). */
  reset?(): void;
}

/**
 * Sums, per unit of `group`, `|v|^p` of the values `source(paramName)` returns over every member
 * slice the unit owns (its Wq/Wk/Wv or Wqkv columns and Wo rows), through core's one magnitude
 * ranking (`axisMagnitudes`). Members without values (undefined) are skipped; biases only with `bias`.
 */
export function internalScores(
  group: InternalGroup,
  source: (name: string) => { values: ArrayLike<number>; mask?: ArrayLike<number> } | undefined,
  options: { p: number; bias: boolean },
): Float32Array {
  const scores = new Float32Array(group.count);
  for (const m of group.members()) {
    const param = group.model.params.get(m.name)!;
    if (!options.bias && param.shape.length < 2) continue;
    const src = source(m.name);
    if (!src) continue;
    const [perPosition] = axisMagnitudes(src.values, param.shape, [m.axis], src.mask ? { p: options.p, mask: src.mask } : { p: options.p });
    m.indices.forEach((i, k) => {
      const u = m.units[k]!;
      scores[u] = scores[u]! + perPosition![i]!;
    });
  }
  return scores;
}

/**
 * Magnitude importance of an internal group's units: the sum of `|w|^p` over every weight the
 * unit owns. Masks count (masked weights score 0).
 */
export function headImportance(group: InternalGroup, options: HeadImportanceOptions = {}): Float32Array {
  const p = checkNormOrder(options.p ?? 1, 'headImportance.p');
  return internalScores(group, (name) => {
    const param = group.model.params.get(name)!;
    return { values: param.value.dataSync(), mask: param.mask?.dataSync() };
  }, { p, bias: options.bias ?? false });
}

/** {@link headImportance} as an {@link InternalImportance} (the Pruner's default for heads). */
export function headMagnitude(options: HeadImportanceOptions = {}): InternalImportance {
  checkNormOrder(options.p ?? 1, 'headImportance.p');
  return { name: `headMagnitude(p=${options.p ?? 1})`, scoreInternal: (g) => headImportance(g, options) };
}

/**
 * Units of one internal group picked by a Pruner step (Torch-Pruning's interactive head groups):
 * `prune()` removes them and updates `numHeads` / `headDim` by itself. `root` is the attention node.
 */
export class HeadSelection {
  constructor(readonly group: InternalGroup, readonly units: readonly number[]) {}

  /** The attention node. */
  get root(): NodeId {
    return this.group.node;
  }

  /** Units selected. */
  get size(): number {
    return this.units.length;
  }

  /** Removes the selected units. */
  prune(): void {
    this.group.prune(this.units);
  }

  toString(): string {
    return `${this.group.name} [${this.units.join(', ')}] of "${this.group.node}" (${this.group.count} -> ${this.group.count - this.units.length})`;
  }
}

/** What {@link InternalPlanner} prunes. */
export interface InternalPlannerOptions {
  /** Prune whole attention heads. */
  heads: boolean;
  /** Prune head dims (the same dims in every head). */
  headDims: boolean;
  /** Nodes left alone. */
  ignored: readonly NodeId[];
  importance: InternalImportance;
  /** Rank the units of all attention nodes together (per group name) instead of per node. */
  global: boolean;
  /** Final ratio (after the last step); the scheduled ratio of a step divided by it is the step's progress. */
  ratio: number;
}

/** Rounds half up, tolerant of float error (1/3 * 3). */
const roundHalfUp = (x: number): number => Math.floor(x + 0.5 + 1e-9);
const floorTol = (x: number): number => Math.floor(x + 1e-9);

/**
 * Cumulative units to have removed from each pool member at `progress` (0..1 of the schedule), in
 * whole units: the final counts `finals` scaled by `progress` are apportioned so that the total is
 * `round(sum(finals) * progress)` (each step removes its share of the plan even when every member's
 * own share is below one unit, e.g. 2 + 2 heads over 3 steps: 1, 2, 1), every member stays between
 * the floor and ceil of its own share, and never below what it has already lost (`removed`).
 * Extra units go to the largest fractional shares first, ties in member order.
 */
export function apportionUnits(finals: readonly number[], removed: readonly number[], progress: number): number[] {
  const p = Math.max(0, Math.min(1, progress));
  const exact = finals.map((n) => n * p);
  const target = roundHalfUp(exact.reduce((a, b) => a + b, 0));
  const out = exact.map((e, i) => Math.min(finals[i]!, Math.max(removed[i]!, floorTol(e))));
  let extra = target - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, frac: e - floorTol(e) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (extra <= 0) break;
    if (out[i]! < Math.min(finals[i]!, Math.ceil(exact[i]! - 1e-9))) {
      out[i]!++;
      extra--;
    }
  }
  return out;
}

/**
 * Plans and applies the internal-structure part of a Pruner step, in whole units. Local: every
 * attention node loses `floor(ratio * initial)` of its heads (head dims) by the last step, lowest
 * scores first, and each step removes its share of the total plan ({@link apportionUnits}).
 * Global: `floor(ratio * total)` of all nodes' heads together go, `round(total * progress)` by
 * each step, lowest scores first across nodes. Either way each node keeps at least one unit.
 */
export class InternalPlanner {
  private readonly groups: InternalGroup[];
  private readonly initial: number[];

  constructor(model: Model, readonly options: InternalPlannerOptions) {
    const names = [...(options.heads ? ['heads'] : []), ...(options.headDims ? ['headDims'] : [])];
    this.groups = names.length ? internalGroups(model, { names, ignored: options.ignored }) : [];
    this.initial = this.groups.map((g) => g.count);
  }

  /** The selections for a scheduled ratio (scores read now; nothing is pruned). */
  plan(ratio: number): HeadSelection[] {
    const final = this.options.ratio;
    const progress = final > 0 ? ratio / final : 0;
    const out: HeadSelection[] = [];
    for (const name of new Set(this.groups.map((g) => g.name))) {
      const pool = this.groups.map((g, i) => ({ g, initial: this.initial[i]! })).filter((c) => c.g.name === name);
      if (this.options.global) out.push(...this.pickGlobal(pool, progress));
      else {
        const finals = pool.map((c) => Math.min(c.initial - 1, floorTol(c.initial * final)));
        const removed = pool.map((c) => c.initial - c.g.count);
        apportionUnits(finals, removed, progress).forEach((target, i) => {
          const { g } = pool[i]!;
          const n = Math.min(g.count - 1, target - removed[i]!);
          if (n > 0) out.push(new HeadSelection(g, [...smallestK(this.options.importance.scoreInternal(g), n)].sort((a, b) => a - b)));
        });
      }
    }
    return out;
  }

  private pickGlobal(pool: ReadonlyArray<{ g: InternalGroup; initial: number }>, progress: number): HeadSelection[] {
    const initial = pool.reduce((a, c) => a + c.initial, 0);
    const alive = pool.reduce((a, c) => a + c.g.count, 0);
    let n = roundHalfUp(floorTol(initial * this.options.ratio) * Math.max(0, Math.min(1, progress))) - (initial - alive);
    if (n <= 0) return [];
    const entries = pool.flatMap((c, ci) => [...this.options.importance.scoreInternal(c.g)].map((score, unit) => ({ ci, unit, score })));
    // Lowest score first; ties keep node order, then unit order.
    entries.sort((a, b) => a.score - b.score || a.ci - b.ci || a.unit - b.unit);
    const picked = pool.map(() => [] as number[]);
    for (const e of entries) {
      if (n <= 0) break;
      const units = picked[e.ci]!;
      if (units.length >= pool[e.ci]!.g.count - 1) continue;
      units.push(e.unit);
      n--;
    }
    return pool.flatMap((c, ci) => (picked[ci]!.length ? [new HeadSelection(c.g, picked[ci]!.sort((a, b) => a - b))] : []));
  }
}

/** Validates a head ratio. */
export function checkHeadRatio(r: number): number {
  if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw new ConfigError(`Pruner: headRatio must be in [0, 1), got ${r}`, { key: 'headRatio' });
  return r;
}

/** Whether an importance criterion also scores internal groups (e.g. `taylor()`). */
export function isInternalImportance(x: unknown): x is InternalImportance {
  return typeof x === 'object' && x !== null && typeof (x as InternalImportance).scoreInternal === 'function';
}
