import { ConfigError, type NodeId } from '@bonsai/core';
import { DependencyGraph, viewOf, type Member, type NodeSlice } from './dependency';

/** Pruning limits a group carries from {@link DependencyGraph.groups}. */
export interface GroupLimits {
  /** Remaining units are kept a multiple of this. */
  readonly roundTo: number;
  /** At most this fraction of `initialUnits` may ever be removed. */
  readonly maxRatio: number;
  /** Units the group had when the model was first built (before any pruning). */
  readonly initialUnits: number;
}

const DEFAULT_LIMITS: GroupLimits = { roundTo: 1, maxRatio: 1, initialUnits: 0 };

/**
 * A set of coupled channels that must be removed together (Torch-Pruning's Group). It holds
 * `units` — each unit is one channel of the root node plus every channel coupled to it (a residual
 * stream's channel in every block, a depthwise channel, a flattened channel's features...).
 * Views of the group (members, slices, indices) reflect the model's current state.
 */
export class Group {
  /** Structural signature shared by isomorphic groups (set by `groups({ isomorphic: true })`). */
  isomorphicKey: string | undefined;

  constructor(
    /** The dependency graph the group belongs to. */
    readonly dg: DependencyGraph,
    /** The node the group is rooted at (its channels index the units). */
    readonly root: NodeId,
    /** Unit ids (stable across pruning of other groups). */
    readonly units: readonly number[],
    /** Limits from {@link DependencyGraph.groups}. */
    readonly limits: GroupLimits = { ...DEFAULT_LIMITS, initialUnits: units.length },
  ) {
    if (!(dg instanceof DependencyGraph)) throw new ConfigError('Group: dg must be a DependencyGraph (use dg.group() or dg.groups())', { key: 'dg' });
    dg.model.graph.node(root);
    let prev = -1;
    for (const u of units) {
      if (!Number.isInteger(u) || u <= prev || u >= dg.unitCount) {
        throw new ConfigError(`Group rooted at "${root}": units must be ascending unit ids in [0, ${dg.unitCount}), got ${u} after ${prev}`, { nodeId: root });
      }
      prev = u;
    }
    const { roundTo, maxRatio, initialUnits } = limits;
    if (!Number.isInteger(roundTo) || roundTo < 1 || !(maxRatio > 0 && maxRatio <= 1) || !Number.isInteger(initialUnits) || initialUnits < 0) {
      throw new ConfigError(`Group rooted at "${root}": invalid limits ${JSON.stringify(limits)}`, { nodeId: root });
    }
  }

  /** Number of units. */
  get size(): number {
    return this.units.length;
  }

  /** Root output-channel positions of the group (current numbering), ascending. */
  get idxs(): number[] {
    return this.units.flatMap((u) => viewOf(this.dg).rootPositions(u, this.root)).sort((a, b) => a - b);
  }

  /** Root positions of each unit (usually one; `groups` for a unit coupled across conv groups). */
  unitIdxs(): number[][] {
    return this.units.map((u) => viewOf(this.dg).rootPositions(u, this.root));
  }

  /** Every param slice the group removes: producers (`out`), consumers (`in`), BN/LN params and stats. */
  members(): Member[] {
    return viewOf(this.dg).members(this.units);
  }

  /** Output channels the group removes at every node it passes through. */
  slices(): NodeSlice[] {
    return viewOf(this.dg).nodeSlices(this.units).slices;
  }

  /** Node ids the group touches (output channels). */
  nodes(): NodeId[] {
    return this.slices().map((s) => s.node);
  }

  /** The sub-group of the units at positions `unitPositions` (indices into `units`). */
  select(unitPositions: Iterable<number>): Group {
    // Units ascend with their positions: mark the positions, read them in order (distinct, no sort).
    const mark = new Uint8Array(this.units.length);
    let count = 0;
    for (const i of unitPositions) {
      if (this.units[i] === undefined) throw new ConfigError(`Unit position ${i} is out of range for a group of ${this.units.length} units rooted at "${this.root}"`, { nodeId: this.root });
      count += 1 - mark[i]!;
      mark[i] = 1;
    }
    const picked = new Array<number>(count);
    for (let i = 0, k = 0; k < count; i++) if (mark[i]) picked[k++] = this.units[i]!;
    return new Group(this.dg, this.root, picked, this.limits);
  }

  /** Whether the dependency graph allows pruning this group ({@link DependencyGraph.check}). */
  check(): boolean {
    return this.dg.check(this);
  }

  /** Physically removes the group's channels from the model ({@link DependencyGraph.prune}). */
  prune(): void {
    this.dg.prune(this);
  }

  /** A budget to pick units greedily without emptying a layer or exceeding the limits. */
  budget(): RemovalBudget {
    return new RemovalBudget(this);
  }

  /** Structural signature: ops, roles, sides and param shapes (pruned axis as `*`), plus the unit count. */
  signature(): string {
    const params = this.dg.model.params;
    const parts = this.members().map((m) => {
      const shape = params.get(m.name)!.shape.map((d, i) => (i === m.axis ? '*' : String(d)));
      return `${m.op}.${m.role}.${m.side}[${shape.join('x')}]x${m.indices.length}`;
    });
    const counts = new Map<string, number>();
    for (const p of parts) counts.set(p, (counts.get(p) ?? 0) + 1);
    return `${this.units.length}|${[...counts].sort((a, b) => a[0].localeCompare(b[0])).map(([p, n]) => `${n}*${p}`).join(';')}`;
  }

  /** Readable multi-line description (Torch-Pruning style). */
  toString(): string {
    const params = this.dg.model.params;
    const rootSlice = this.slices().find((s) => s.node === this.root);
    const lines = [
      `Group rooted at "${this.root}": ${this.units.length} unit(s), root channels ${fmt(this.idxs)} of ${rootSlice?.width ?? this.dg.width(this.root)}`,
      '  channels removed at:',
    ];
    for (const s of this.slices()) lines.push(`    ${s.node} (${s.op})  ${s.indices.length}/${s.width}  ${fmt(s.indices)}`);
    lines.push('  params sliced:');
    for (const m of this.members()) {
      const shape = params.get(m.name)?.shape ?? [];
      lines.push(`    ${m.name} [${shape.join(', ')}]  axis ${m.axis} (${m.side})  ${fmt(m.indices)}`);
    }
    return lines.join('\n');
  }
}

/**
 * Greedy, feasible unit selection within one group: `tryAdd` accepts a unit only while no node
 * the group touches would be emptied and the group's `maxRatio` allows it; `finish` applies
 * `roundTo` (dropping the last-added units) and returns the sub-group.
 */
export class RemovalBudget {
  /** Alive channels left per node index once the picked units go; -1 = untouched so far. */
  private readonly remaining: Int32Array;
  private readonly picked: number[] = [];
  private readonly cap: number;
  private readonly view: ReturnType<typeof viewOf>;

  constructor(readonly group: Group) {
    const { initialUnits, maxRatio } = group.limits;
    const initial = Math.max(initialUnits, group.units.length);
    const alreadyRemoved = initial - group.units.length;
    this.cap = Math.max(0, Math.floor(initial * maxRatio + 1e-9) - alreadyRemoved);
    this.remaining = new Int32Array(group.dg.model.graph.nodes.length).fill(-1);
    this.view = viewOf(group.dg);
  }

  /** Units picked so far (positions into `group.units`). */
  get selected(): readonly number[] {
    return this.picked;
  }

  /** Picks unit position `i` if that keeps the group feasible; returns whether it did. */
  tryAdd(i: number): boolean {
    if (this.picked.length >= this.cap) return false;
    const unit = this.group.units[i];
    if (unit === undefined) return false;
    const view = this.view;
    const { nodes, counts } = view.footprint(unit);
    const remaining = this.remaining;
    for (let k = 0; k < nodes.length; k++) {
      const n = nodes[k]!;
      if (remaining[n]! < 0) remaining[n] = view.widthAt(n);
      if (remaining[n]! - counts[k]! < 1) return false;
    }
    for (let k = 0; k < nodes.length; k++) remaining[nodes[k]!]! -= counts[k]!;
    this.picked.push(i);
    return true;
  }

  /** The selected sub-group after rounding the remaining unit count to a multiple of `roundTo`. */
  finish(): Group {
    const { roundTo } = this.group.limits;
    const alive = this.group.units.length;
    let n = this.picked.length;
    if (roundTo > 1 && n > 0) n = Math.max(0, alive - Math.ceil((alive - n) / roundTo) * roundTo);
    return this.group.select(this.picked.slice(0, n));
  }
}

function fmt(idx: readonly number[], max = 16): string {
  return idx.length <= max ? `[${idx.join(', ')}]` : `[${idx.slice(0, max).join(', ')}, ... +${idx.length - max}]`;
}
