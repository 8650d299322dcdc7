import { ConfigError, type Model, type NodeId } from '@bonsai/core';
import { DependencyGraph, type Group, type RemovalBudget } from '@bonsai/graph';
import { checkHeadRatio, type HeadSelection, headMagnitude, InternalPlanner, isInternalImportance, type HeadImportanceOptions, type InternalImportance } from './heads';
import type { GroupImportance } from './importance';
import { scheduledRatio, type StructuredSchedule } from './schedule';

/** Options of {@link Pruner} (Torch-Pruning's MetaPruner). */
export interface PrunerOptions {
  /** Importance criterion: magnitude(), bnScale(), taylor(), lamp(), random(). */
  importance: GroupImportance;
  /** Fraction of channels (units) removed after the last step (default 0.5). */
  ratio?: number;
  /** Per-node final ratios; applies (locally) to the group containing that node's output channels. */
  ratioPerNode?: Readonly<Record<NodeId, number>>;
  /** Rank units of all groups together (true) or prune each group by `ratio` (false, default). */
  global?: boolean;
  /** Number of pruning steps to reach `ratio` (default 1). */
  iterativeSteps?: number;
  /** Ratio schedule over the steps (default 'linear'). */
  schedule?: StructuredSchedule;
  /** Nodes whose output channels are not pruned (default: the nodes producing graph outputs). */
  ignored?: readonly NodeId[];
  /** Keep remaining channels of every group a multiple of this (default 1). */
  roundTo?: number;
  /** No group loses more than this fraction of its channels (default 1: all but one). */
  maxRatio?: number;
  /** With `global`: rank only among isomorphic groups (isomorphic pruning, Fang et al. 2024). */
  isomorphic?: boolean;
  /** Also prune whole attention heads (Torch-Pruning's `prune_num_heads`); `numHeads` follows by itself. */
  pruneHeads?: boolean;
  /** Also prune head dims, the same dims in every head (`prune_head_dims`); `headDim` follows. */
  pruneHeadDims?: boolean;
  /** Fraction of each attention node's heads (head dims) removed after the last step (default `ratio`). */
  headRatio?: number;
  /**
   * Head importance: magnitude options (L1 `p: 1` or L2 `p: 2` of each head's weights) or a
   * criterion scoring internal groups (e.g. `taylor()`). Default: `importance` when it scores
   * internal groups (`taylor()`), else L1 magnitude.
   */
  headImportance?: HeadImportanceOptions | InternalImportance;
  /** Rank heads (head dims) of all attention nodes together (default: `global`). */
  globalHeads?: boolean;
}

interface Candidate {
  readonly group: Group;
  readonly budget: RemovalBudget;
  readonly scores: Float32Array;
  readonly ratio: number | undefined;
}

/**
 * Structured pruner over a {@link DependencyGraph}: each step scores every prunable group with
 * the importance criterion, picks the least important units (per group, or globally) up to the
 * scheduled ratio, and physically removes them. `step()` returns false once nothing is left to
 * prune, so a caller never fine-tunes for nothing.
 */
export class Pruner {
  /** The dependency graph (kept in sync with the model). */
  readonly dg: DependencyGraph;
  private readonly ratio: number;
  private readonly steps: number;
  private readonly schedule: StructuredSchedule;
  private readonly ignored: readonly NodeId[];
  private readonly headRatio: number;
  private readonly internal: InternalPlanner;
  private readonly headCriterion: InternalImportance;
  private stepIndex = 0;

  constructor(readonly model: Model, readonly options: PrunerOptions) {
    this.ratio = options.ratio ?? 0.5;
    this.steps = options.iterativeSteps ?? 1;
    this.schedule = options.schedule ?? 'linear';
    checkRatio(this.ratio, 'ratio');
    for (const [node, r] of Object.entries(options.ratioPerNode ?? {})) {
      model.graph.node(node);
      checkRatio(r, `ratioPerNode["${node}"]`);
    }
    if (!Number.isInteger(this.steps) || this.steps < 1) throw new ConfigError(`Pruner: iterativeSteps must be a positive integer, got ${this.steps}`, { key: 'iterativeSteps' });
    if (!options.importance || typeof options.importance.score !== 'function') throw new ConfigError('Pruner: options.importance must be an importance criterion (magnitude(), bnScale(), taylor(), ...)', { key: 'importance' });
    this.ignored = options.ignored ?? model.graph.outputs;
    for (const id of this.ignored) model.graph.node(id);
    this.dg = DependencyGraph.build(model);
    this.headRatio = checkHeadRatio(options.headRatio ?? this.ratio);
    const hi = options.headImportance;
    const headCriterion = isInternalImportance(hi) ? hi : hi === undefined && isInternalImportance(options.importance) ? options.importance : headMagnitude(hi);
    this.headCriterion = headCriterion;
    this.internal = new InternalPlanner(model, {
      heads: options.pruneHeads ?? false, headDims: options.pruneHeadDims ?? false, ignored: this.ignored, importance: headCriterion, global: options.globalHeads ?? options.global ?? false, ratio: this.headRatio,
    });
    // Validates roundTo / maxRatio eagerly (groups() checks its options on the call, before any group is built).
    this.dg.groups(this.groupOptions());
  }

  /** Steps taken so far (0 .. iterativeSteps). */
  get currentStep(): number {
    return this.stepIndex;
  }

  /** Whether steps remain. */
  get done(): boolean {
    return this.stepIndex >= this.steps;
  }

  /**
   * Runs the next pruning step (skipping steps that would remove nothing). Returns true iff
   * channels (or heads / head dims) were removed; false when nothing is left to prune.
   */
  step(): boolean {
    while (!this.done) {
      this.stepIndex++;
      // Heads are scored before channels change shapes (Taylor sums are per current shape).
      const heads = this.planHeads(this.stepIndex);
      const picks = this.plan(this.stepIndex);
      if (picks.length > 0) this.dg.prune(picks);
      for (const h of heads) h.prune();
      if (picks.length > 0 || heads.length > 0) {
        this.resetImportance();
        return true;
      }
    }
    return false;
  }

  /**
   * The next step's selected groups, for the caller to inspect and prune (`group.prune()`), as
   * Torch-Pruning's `step(interactive=True)`: channel groups, then (with `pruneHeads` /
   * `pruneHeadDims`) one {@link HeadSelection} per attention node. Groups stay valid while others
   * are pruned.
   */
  *stepInteractive(): Generator<Group | HeadSelection> {
    let yielded = false;
    try {
      while (!this.done && !yielded) {
        this.stepIndex++;
        const heads = this.planHeads(this.stepIndex);
        for (const g of [...this.plan(this.stepIndex), ...heads]) {
          yielded = true;
          yield g;
        }
      }
    } finally {
      if (yielded) this.resetImportance();
    }
  }

  /** Selected sub-groups for step `step` (1-based) without pruning. */
  plan(step: number = this.stepIndex + 1): Group[] {
    const target = scheduledRatio(this.schedule, step, this.steps, this.ratio);
    const perNode = Object.entries(this.options.ratioPerNode ?? {});
    const candidates: Candidate[] = [];
    const groups = [...this.dg.groups(this.groupOptions())];
    const { importance } = this.options;
    const allScores = importance.scoreAll ? importance.scoreAll(groups) : groups.map((g) => importance.score(g));
    for (const [i, group] of groups.entries()) {
      const nodes = perNode.length ? new Set(group.nodes()) : undefined;
      const own = perNode.find(([n]) => nodes!.has(n));
      const scores = allScores[i];
      if (!scores) continue;
      if (scores.length !== group.size) throw new ConfigError(`importance "${this.options.importance.name}" returned ${scores.length} scores for a group of ${group.size} units`, { key: 'importance' });
      const ratio = own ? scheduledRatio(this.schedule, step, this.steps, own[1]) : undefined;
      candidates.push({ group, budget: group.budget(), scores, ratio });
    }
    const local = candidates.filter((c) => c.ratio !== undefined || !this.options.global);
    for (const c of local) pickLowest([c], toRemove([c], c.ratio ?? target));
    const global = candidates.filter((c) => c.ratio === undefined && this.options.global);
    const pools = new Map<string, Candidate[]>();
    for (const c of global) {
      const key = this.options.isomorphic ? c.group.isomorphicKey ?? '' : '';
      pools.set(key, [...(pools.get(key) ?? []), c]);
    }
    for (const pool of pools.values()) pickLowest(pool, toRemove(pool, target));
    return candidates.map((c) => c.budget.finish()).filter((g) => g.size > 0);
  }

  /** Selected heads (head dims) for step `step` (1-based) without pruning. */
  planHeads(step: number = this.stepIndex + 1): HeadSelection[] {
    return this.internal.plan(scheduledRatio(this.schedule, step, this.steps, this.headRatio));
  }

  private resetImportance(): void {
    this.options.importance.reset?.();
    if ((this.headCriterion as unknown) !== this.options.importance) this.headCriterion.reset?.();
  }

  private groupOptions() {
    return { ignored: this.ignored, roundTo: this.options.roundTo, maxRatio: this.options.maxRatio, isomorphic: this.options.isomorphic };
  }
}

/** Units still to remove so that `ratio` of the pool's initial units are gone. */
function toRemove(pool: readonly Candidate[], ratio: number): number {
  let initial = 0;
  let alive = 0;
  for (const c of pool) {
    initial += Math.max(c.group.limits.initialUnits, c.group.size);
    alive += c.group.size;
  }
  return Math.max(0, Math.floor(initial * ratio + 1e-9) - (initial - alive));
}

/** Greedily takes the lowest-scored feasible units of the pool until `count` are taken. */
function pickLowest(pool: readonly Candidate[], count: number): void {
  if (count <= 0) return;
  let n = 0;
  for (const c of pool) n += c.group.size;
  const order = lowestFirst(pool, n);
  // Entry k is unit k - starts[ci] of candidate ci (pool order, then unit order).
  const starts = new Int32Array(pool.length + 1);
  pool.forEach((c, ci) => (starts[ci + 1] = starts[ci]! + c.group.size));
  let taken = 0;
  let ci = 0;
  for (let i = 0; i < order.length; i++) {
    if (taken >= count) break;
    const k = order[i]!;
    if (k < starts[ci]! || k >= starts[ci + 1]!) {
      ci = 0;
      while (k >= starts[ci + 1]!) ci++;
    }
    if (pool[ci]!.budget.tryAdd(k - starts[ci]!)) taken++;
  }
}

/** Bits of an entry index packed below a score's 32 sortable bits (2^53 is exact in a float64). */
const INDEX_BITS = 21;
/** 2^INDEX_BITS and its inverse as constants (`2 ** INDEX_BITS` in a loop is a Math.pow call per element). */
const INDEX_SCALE = 2 ** INDEX_BITS;
const INDEX_INVERSE = 2 ** -INDEX_BITS;

/**
 * The pool's entries (candidates' units in pool order) sorted by score, ties by entry order: a
 * stable sort. Each score's float32 bits, mapped to an order-preserving unsigned key, and the
 * entry index are packed into one float64, so a native numeric sort does it (no comparator).
 * Pools too large to pack, or with NaN scores, take the comparator sort.
 */
function lowestFirst(pool: readonly Candidate[], n: number): Float64Array | Uint32Array {
  const bits = new Uint32Array(1);
  const f32 = new Float32Array(bits.buffer);
  if (n < INDEX_SCALE) {
    const packed = new Float64Array(n);
    let k = 0;
    let nan = false;
    for (const c of pool) {
      const { scores } = c;
      for (let u = 0, size = c.group.size; u < size; u++, k++) {
        const s = scores[u]!;
        if (Number.isNaN(s)) nan = true;
        f32[0] = s + 0; // -0 ties with 0
        const b = bits[0]!;
        const key = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
        packed[k] = key * INDEX_SCALE + k;
      }
    }
    if (!nan) {
      packed.sort();
      // The low bits, exactly (a power-of-two scale and floor are exact; `%` is a slow fmod).
      for (let i = 0; i < n; i++) {
        const x = packed[i]!;
        packed[i] = x - Math.floor(x * INDEX_INVERSE) * INDEX_SCALE;
      }
      return packed;
    }
  }
  const keys = new Float64Array(n);
  let k = 0;
  for (const c of pool) for (let u = 0; u < c.group.size; u++) keys[k++] = c.scores[u]!;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => keys[a]! - keys[b]! || a - b);
}

function checkRatio(r: number, key: string): void {
  if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw new ConfigError(`Pruner: ${key} must be in [0, 1), got ${r}`, { key });
}
