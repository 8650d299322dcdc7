import { BonsaiError, ConfigError, getOp, type ChannelRule, type Model, type NodeId } from '@bonsai/core';
import { Group, type GroupLimits } from './group';
import { inAxisIndex, mapChannels, OUT, type Port } from './index-mapping';
import { sliceChannels, widthOf } from './prune-group';
import { expandRuns, RunBuilder, type Runs } from './runs';
import { UnionFind } from './union-find';

/** Options of {@link DependencyGraph.groups} (Torch-Pruning's `get_all_groups`). */
export interface GroupsOptions {
  /** Nodes whose output channels must not be pruned (groups touching them are skipped). */
  ignored?: Iterable<NodeId>;
  /** Remaining units of each group are kept a multiple of this (default 1). */
  roundTo?: number;
  /** At most this fraction of a group's initial units may ever be removed (default 1). */
  maxRatio?: number;
  /** Tag each group with a structural signature so isomorphic groups can be ranked together. */
  isomorphic?: boolean;
}

/** One param slice of a group: the positions along `axis` of param `role` of `node` to remove. */
export interface Member {
  readonly node: NodeId;
  readonly op: string;
  readonly role: string;
  /** Full param name `node/role`. */
  readonly name: string;
  readonly axis: number;
  /** 'out': the node's own output channels; 'in': channels the node consumes. */
  readonly side: 'out' | 'in';
  /** Positions along `axis` (current numbering), ascending. */
  readonly indices: readonly number[];
  /** For each entry of `indices`: which unit of the group it belongs to. */
  readonly units: readonly number[];
  /**
   * The same positions as runs, flat `(pos, unit, len)` triples ascending by position: positions
   * `pos .. pos + len - 1` belong to units `unit .. unit + len - 1`. `indices` and `units` are
   * expanded from it on first access; scoring reads the runs directly.
   */
  readonly runs: Runs;
}

/** Channels of one node's output that a group removes. */
export interface NodeSlice {
  readonly node: NodeId;
  readonly op: string;
  /** Current output width of the node. */
  readonly width: number;
  /** Positions (current numbering), ascending. */
  readonly indices: readonly number[];
}

interface ParamAxis {
  readonly role: string;
  readonly axis: number;
  /** For an in-axis: the input slot whose channels it indexes. */
  readonly slot: number;
}

/** Members are accumulated per (node, side/slot): code 0 is the node's output, 1 + s its input slot s. */
const SLOT_CODES = 64;

/** Alive channels one unit removes, per node index (`nodes[i]` loses `counts[i]`). */
export interface UnitFootprint {
  readonly nodes: Int32Array;
  readonly counts: Int32Array;
}

/** What a {@link Group} reads from its dependency graph; module-internal (see {@link viewOf}). */
export interface GroupView {
  members(units: readonly number[]): Member[];
  nodeSlices(units: readonly number[]): { slices: NodeSlice[]; unitOf: Map<number, number> };
  removedPerNode(units: readonly number[]): Map<number, number>;
  footprint(unit: number): UnitFootprint;
  widthAt(n: number): number;
  rootPositions(unit: number, root: NodeId): number[];
  isAlive(unit: number): boolean;
}

const views = new WeakMap<DependencyGraph, GroupView>();

/**
 * The internals of `dg` that Group and RemovalBudget use. Exported for them only: the package
 * index does not export it, so the graph's atoms and units stay private to @bonsai/graph.
 */
export function viewOf(dg: DependencyGraph): GroupView {
  const v = views.get(dg);
  if (!v) throw new ConfigError('Not a DependencyGraph built by DependencyGraph.build', { key: 'dg' });
  return v;
}

/**
 * Torch-Pruning's DependencyGraph for Bonsai models. Every channel (last axis) of every node's
 * output is an atom; the op registry's channel rules (see {@link mapChannels}) couple atoms that
 * must be removed together, and the connected sets of atoms are the *units* of pruning. A
 * {@link Group} is a set of units plus everything they touch: the producing params (`outAxis`),
 * BN/LN params and running statistics, consumer params (`inAxis`), through residual adds,
 * concat/split, flatten, depthwise and grouped convs.
 *
 * Units are identified by original channel ids, so groups stay valid while other (disjoint)
 * groups are pruned. Change the model only through this graph once it is built.
 */
export class DependencyGraph {
  /** Bumped after every physical pruning. */
  version = 0;
  private readonly index = new Map<NodeId, number>();
  private readonly ids: NodeId[];
  private readonly ops: string[];
  private readonly base: Int32Array;
  private readonly atomNode: Int32Array;
  private readonly classOf: Int32Array;
  /** Atoms of every class, ascending: class `c` holds `classFlat[classStart[c] .. classStart[c + 1] - 1]`. */
  private readonly classFlat: Int32Array;
  private readonly classStart: Int32Array;
  private readonly classCount: number;
  private readonly classRoot: Int32Array;
  private readonly classLock: Array<string | undefined>;
  private readonly classAlive: Uint8Array;
  /** Current position of each atom within its node's output, -1 once pruned. */
  private readonly pos: Int32Array;
  /** Atoms of each node's output in current position order. */
  private kept: Int32Array[] = [];
  private rules: ChannelRule[] = [];
  private outAxes: ParamAxis[][] = [];
  private inAxes: ParamAxis[][] = [];
  private consumers: number[][] = [];
  /** Node indices of each node's inputs, by slot. */
  private inputIdx: Int32Array[] = [];
  /** Per node and input slot: whether some param has an in-axis on that slot. */
  private inSlotsWithAxes: boolean[][] = [];
  /** Per node: the member keys (consumer node, input slot) of the params reading its channels, and the consumer's rule. */
  private inLinks: Array<Array<{ readonly key: number; readonly rule: ChannelRule }>> = [];
  /** {@link footprint} per strip head, valid until the next prune. */
  private footprints: Array<UnitFootprint | undefined>;
  /** See {@link refreshStrips}. */
  private readonly stripNext: Uint8Array;
  private readonly stripHead: Int32Array;

  private constructor(readonly model: Model) {
    const graph = model.graph;
    const nodes = graph.nodes;
    this.ids = nodes.map((n) => n.id);
    this.ops = nodes.map((n) => n.op);
    nodes.forEach((n, i) => this.index.set(n.id, i));
    const widths = nodes.map((n) => widthOf(graph.shape(n.id)));
    this.base = new Int32Array(nodes.length + 1);
    widths.forEach((w, i) => (this.base[i + 1] = this.base[i]! + w));
    const total = this.base[nodes.length]!;
    this.atomNode = new Int32Array(total);
    widths.forEach((w, i) => this.atomNode.fill(i, this.base[i]!, this.base[i]! + w));
    this.refreshNodeInfo();

    // Couple atoms along every node's channel rule; remember locked nodes (in order: the first reason wins).
    const uf = new UnionFind(total);
    const lockedNodes: Array<[number, string]> = [];
    nodes.forEach((n, i) => {
      // Atom base of each port: output (port -1) at 0, input slot s at s + 1.
      const portBase = Int32Array.from([i, ...n.inputs.map((id) => this.index.get(id)!)], (m) => this.base[m]!);
      const portNode = (p: Port): number => (p === OUT ? i : this.index.get(n.inputs[p]!)!);
      const inWidths = n.inputs.map((id) => widths[this.index.get(id)!]!);
      mapChannels(this.rules[i]!, inWidths, widths[i]!, {
        link: (a, ca, b, cb) => uf.union(portBase[a + 1]! + ca, portBase[b + 1]! + cb),
        lock: (p, reason) => lockedNodes.push([portNode(p), `node "${n.id}" (${n.op}): ${reason}`]),
      });
    });
    for (const id of graph.inputs) lockedNodes.push([this.index.get(id)!, `it touches graph input "${id}"`]);
    for (const id of graph.outputs) lockedNodes.push([this.index.get(id)!, `it changes the shape of graph output "${id}"`]);

    // Connected atom sets become units (classes), numbered by their first atom (topological order).
    const classOf = numberClasses(uf.roots());
    const classes = classCountOf(classOf);
    this.classOf = classOf;
    const starts = classStarts(classOf, classes);
    const flat = classMembers(classOf, starts);
    this.classFlat = flat;
    this.classStart = starts;
    this.classCount = classes;
    this.classRoot = classRoots(flat, starts, this.atomNode, classes);
    this.classLock = new Array<string | undefined>(classes).fill(undefined);
    for (const [m, why] of lockedNodes) {
      for (let a = this.base[m]!; a < this.base[m + 1]!; a++) {
        const c = this.classOf[a]!;
        if (this.classLock[c] === undefined) this.classLock[c] = why;
      }
    }
    this.classAlive = new Uint8Array(classes).fill(1);
    this.footprints = new Array<UnitFootprint | undefined>(classes);
    this.stripNext = new Uint8Array(classes);
    this.stripHead = new Int32Array(classes);
    this.pos = new Int32Array(total);
    this.kept = widths.map((w, i) => initialKept(this.pos, this.base[i]!, w));
    this.refreshStrips();
    views.set(this, {
      members: (units) => this.members(units),
      nodeSlices: (units) => this.nodeSlices(units),
      removedPerNode: (units) => this.removedPerNode(units),
      footprint: (unit) => this.footprint(unit),
      widthAt: (n) => this.widthAt(n),
      rootPositions: (unit, root) => this.rootPositions(unit, root),
      isAlive: (unit) => this.isAlive(unit),
    });
  }

  /**
   * Builds the dependency graph of `model` from the op registry's channel rules. A model whose
   * layers cannot be resized (it says why in `structureLocked`, e.g. a quantized model) is a ConfigError.
   */
  static build(model: Model): DependencyGraph {
    const locked = (model as Model & { readonly structureLocked?: string }).structureLocked;
    if (locked) throw new ConfigError(`cannot prune this model structurally: ${locked}`, { option: 'model' });
    return new DependencyGraph(model);
  }

  /** Number of pruning units (coupled channel sets) in the graph, alive or pruned. */
  get unitCount(): number {
    return this.classCount;
  }

  /**
   * The group that removes output channels `idxs` of `node` (side 'out'), or the channels it reads
   * at its first input (side 'in'), plus everything coupled to them.
   */
  group(node: NodeId, side: 'out' | 'in', idxs: readonly number[]): Group {
    const i = this.nodeIndex(node);
    const target = side === 'out' ? i : this.firstInput(i);
    const kept = this.kept[target]!;
    const classes = new Set<number>();
    for (const p of idxs) {
      if (!Number.isInteger(p) || p < 0 || p >= kept.length) {
        throw new ConfigError(`Channel index ${p} is out of range for ${side === 'out' ? 'the output' : 'the input'} of node "${node}" (${kept.length} channels)`, { nodeId: node });
      }
      classes.add(this.classOf[kept[p]!]!);
    }
    return new Group(this, node, [...classes].sort((a, b) => a - b));
  }

  /**
   * Every prunable group (Torch-Pruning's `get_all_groups`): one per root node (the first node,
   * in topological order, producing the group's channels — a conv or dense layer), holding all
   * its alive units that are not locked (graph inputs/outputs, barrier ops) or ignored.
   * @throws ConfigError on the call (not on the first `next()`) for a bad `roundTo` or `maxRatio`.
   */
  groups(options: GroupsOptions = {}): Generator<Group> {
    const roundTo = options.roundTo ?? 1;
    const maxRatio = options.maxRatio ?? 1;
    if (!Number.isInteger(roundTo) || roundTo < 1) throw new ConfigError(`groups: roundTo must be a positive integer, got ${roundTo}`, { key: 'roundTo' });
    if (!(maxRatio > 0 && maxRatio <= 1)) throw new ConfigError(`groups: maxRatio must be in (0, 1], got ${maxRatio}`, { key: 'maxRatio' });
    return this.groupsWithin(options, roundTo, maxRatio);
  }

  /** {@link groups} once its options are checked. */
  private *groupsWithin(options: GroupsOptions, roundTo: number, maxRatio: number): Generator<Group> {
    const ignoredClasses = new Set<number>();
    for (const id of options.ignored ?? []) {
      const i = this.nodeIndex(id);
      for (let c = this.base[i]!; c < this.base[i + 1]!; c++) ignoredClasses.add(this.classOf[c]!);
    }
    const byRoot = new Map<number, { alive: number[]; initial: number }>();
    for (let c = 0; c < this.classCount; c++) {
      if (this.classLock[c] !== undefined || ignoredClasses.has(c)) continue;
      const root = this.classRoot[c]!;
      let entry = byRoot.get(root);
      if (!entry) {
        entry = { alive: [], initial: 0 };
        byRoot.set(root, entry);
      }
      entry.initial++;
      if (this.classAlive[c]) entry.alive.push(c);
    }
    for (const [root, { alive, initial }] of [...byRoot].sort((a, b) => a[0] - b[0])) {
      if (alive.length === 0) continue;
      const limits: GroupLimits = { roundTo, maxRatio, initialUnits: initial };
      const g = new Group(this, this.ids[root]!, alive, limits);
      if (options.isomorphic) g.isomorphicKey = g.signature();
      yield g;
    }
  }

  /** Whether `group` may be pruned: it must not empty a layer, break group-conv divisibility or touch locked channels. */
  check(group: Group): boolean {
    return this.explain(group) === undefined;
  }

  /** Why `group` may not be pruned, or undefined when it may. */
  explain(group: Group): string | undefined {
    if (group.dg !== this) return 'the group belongs to another dependency graph';
    if (group.units.length === 0) return 'the group is empty';
    for (const c of group.units) {
      if (!this.classAlive[c]) return `unit ${c} was already pruned`;
      const lock = this.classLock[c];
      if (lock !== undefined) return `its channels are locked: ${lock}`;
    }
    const removed = this.removedPerNode(group.units);
    for (const [n, count] of removed) {
      const w = this.kept[n]!.length;
      if (w - count < 1) return `it would remove all ${w} channels of node "${this.ids[n]}" (${this.ops[n]})`;
    }
    const newWidth = (n: number): number => this.kept[n]!.length - (removed.get(n) ?? 0);
    for (const n of removed.keys()) {
      for (const m of [n, ...this.consumers[n]!]) {
        const rule = this.rules[m]!;
        if (rule.kind !== 'grouped') continue;
        const inW = newWidth(this.firstInput(m));
        const outW = newWidth(m);
        if (inW % rule.groups !== 0 || outW % rule.groups !== 0) {
          return `node "${this.ids[m]}" (${this.ops[m]}, groups ${rule.groups}) would get ${inW} input / ${outW} output channels, not divisible by its groups`;
        }
      }
    }
    return undefined;
  }

  /**
   * Physically removes the units of `groups` (merged) from the model: slices every member param,
   * mask and running statistic, adapts node attributes and re-infers shapes. Throws a PRUNE error
   * (and changes nothing) when {@link explain} refuses the merged group.
   */
  prune(groups: Group | Iterable<Group>): void {
    const list = groups instanceof Group ? [groups] : [...groups];
    const units = mergedUnits(list, this.classCount);
    if (units.length === 0) return;
    const merged = new Group(this, list[0]!.root, units);
    const why = this.explain(merged);
    if (why !== undefined) throw new ConfigError(`Cannot prune group rooted at "${merged.root}": ${why}`, { nodeId: merged.root }, { code: 'PRUNE' });
    const removed = removedAtoms(units, this.classStart, this.classFlat, this.pos);
    const touched = touchedNodes(removed, this.atomNode, this.ids.length);
    const keptPositions = new Map<NodeId, Int32Array>();
    const nextKept = new Map<number, Int32Array>();
    for (let n = 0; n < touched.length; n++) {
      if (!touched[n]) continue;
      const { positions, next } = keptAfter(this.kept[n]!, removed);
      keptPositions.set(this.ids[n]!, positions);
      nextKept.set(n, next);
    }
    sliceChannels(this.model, keptPositions);
    dropRemoved(this.pos, removed);
    for (const [n, next] of nextKept) {
      renumber(this.pos, next);
      this.kept[n] = next;
    }
    for (const c of units) this.classAlive[c] = 0;
    this.footprints = new Array<UnitFootprint | undefined>(this.classCount);
    this.refreshNodeInfo();
    this.refreshStrips();
    this.version++;
    for (const n of nextKept.keys()) {
      const w = widthOf(this.model.graph.shape(this.ids[n]!));
      if (w !== this.kept[n]!.length) {
        throw new BonsaiError('PRUNE', `Internal error: node "${this.ids[n]}" has ${w} channels after pruning, the dependency graph expected ${this.kept[n]!.length}`, { nodeId: this.ids[n] });
      }
    }
  }

  /** Current number of output channels of `node`. */
  width(node: NodeId): number {
    return this.kept[this.nodeIndex(node)]!.length;
  }

  // ---- internals: Group reaches them through viewOf() (module-internal, not exported by the package) ----

  /** Node slices (output channels removed per node) of a set of units. */
  private nodeSlices(units: readonly number[]): { slices: NodeSlice[]; unitOf: Map<number, number> } {
    const perNode = new Map<number, number[]>();
    const unitOf = new Map<number, number>();
    units.forEach((c, u) => {
      for (let k = this.classStart[c]!, end = this.classStart[c + 1]!; k < end; k++) {
        const a = this.classFlat[k]!;
        if (this.pos[a]! < 0) continue;
        unitOf.set(a, u);
        const n = this.atomNode[a]!;
        let l = perNode.get(n);
        if (!l) {
          l = [];
          perNode.set(n, l);
        }
        l.push(this.pos[a]!);
      }
    });
    const slices = [...perNode].sort((a, b) => a[0] - b[0]).map(([n, idx]) => ({
      node: this.ids[n]!, op: this.ops[n]!, width: this.kept[n]!.length, indices: idx.sort((x, y) => x - y),
    }));
    return { slices, unitOf };
  }

  /**
   * Param members of a set of units. Units come in *strips*: consecutive unit ids whose atoms are
   * the previous unit's shifted by one (same nodes, positions + 1; see {@link refreshStrips}), as
   * the channels of one conv, its BN and every coupled stream are. A strip of `L` units is read
   * from its first unit's atoms only and adds one run of length `L` per atom, so a full group costs
   * its first unit's atoms, not every channel.
   */
  private members(units: readonly number[]): Member[] {
    const acc = new Map<number, RunBuilder>();
    const builder = (key: number, width: number): RunBuilder => {
      let b = acc.get(key);
      if (!b) {
        b = new RunBuilder(width);
        acc.set(key, b);
      }
      return b;
    };
    this.forEachStrip(units, (c, u, len) => {
      for (let k = this.classStart[c]!, end = this.classStart[c + 1]!; k < end; k++) {
        const a = this.classFlat[k]!;
        const p = this.pos[a]!;
        if (p < 0) continue;
        const n = this.atomNode[a]!;
        const width = this.kept[n]!.length;
        if (this.outAxes[n]!.length) builder(n * SLOT_CODES, width).add(p, u, len);
        for (const { key, rule } of this.inLinks[n]!) {
          const b = builder(key, width);
          const i = inAxisIndex(rule, p, width);
          if (inAxisIndex(rule, p + len - 1, width) === i + len - 1) b.add(i, u, len);
          else for (let j = 0; j < len; j++) b.add(inAxisIndex(rule, p + j, width), u + j, 1);
        }
      }
    });
    const out: Member[] = [];
    for (const key of [...acc.keys()].sort((x, y) => x - y)) {
      const node = Math.floor(key / SLOT_CODES);
      const code = key % SLOT_CODES;
      const side = code === 0 ? 'out' : 'in';
      const positions = new LazyPositions(acc.get(key)!.finish());
      const id = this.ids[node]!;
      const axes = code === 0 ? this.outAxes[node]! : this.inAxes[node]!.filter((pa) => pa.slot === code - 1);
      for (const pa of [...axes].sort((x, y) => x.role.localeCompare(y.role))) {
        out.push(new RunMember(id, this.ops[node]!, pa.role, pa.axis, side, positions));
      }
    }
    return out;
  }

  /** Calls `f(firstClass, firstUnitPosition, length)` for every strip of `units` (ascending class ids). */
  private forEachStrip(units: readonly number[], f: (c: number, u: number, len: number) => void): void {
    const next = this.stripNext;
    let i = 0;
    while (i < units.length) {
      const c = units[i]!;
      let len = 1;
      while (i + len < units.length && units[i + len] === c + len && next[c + len - 1] === 1) len++;
      f(c, i, len);
      i += len;
    }
  }

  /**
   * Strip links: `stripNext[c]` is 1 when class `c + 1` is class `c` shifted by one atom (same
   * sizes, every atom + 1 within the same node, both alive), so the two have the same members,
   * footprint and slices up to the shift: kept atoms stay in channel order, so two adjacent alive
   * atoms of a node sit at adjacent positions. `stripHead[c]`: the first class of `c`'s strip.
   */
  private refreshStrips(): void {
    linkStrips(this.classCount, this.atomNode, this.classAlive, this.classFlat, this.classStart, this.stripNext, this.stripHead);
  }

  /** Alive atoms removed per node index by a set of units (nodes in order of first removal). */
  private removedPerNode(units: readonly number[]): Map<number, number> {
    const counts = new Int32Array(this.ids.length);
    const order: number[] = [];
    // Every unit of a strip removes atoms at the same nodes as its first unit.
    this.forEachStrip(units, (c, _u, len) => {
      for (let k = this.classStart[c]!, end = this.classStart[c + 1]!; k < end; k++) {
        const a = this.classFlat[k]!;
        if (this.pos[a]! < 0) continue;
        const n = this.atomNode[a]!;
        if (counts[n] === 0) order.push(n);
        counts[n] = counts[n]! + len;
      }
    });
    return new Map(order.map((n) => [n, counts[n]!]));
  }

  /** Alive atoms one unit removes per node (shared by a strip, cached until the next prune: budgets ask per unit tried). */
  private footprint(unit: number): UnitFootprint {
    const head = this.stripHead[unit]!;
    let f = this.footprints[head];
    if (!f) {
      // A unit's atoms are ascending, so each node's atoms are consecutive.
      const nodes: number[] = [];
      const counts: number[] = [];
      for (let k = this.classStart[head]!, end = this.classStart[head + 1]!; k < end; k++) {
        const a = this.classFlat[k]!;
        if (this.pos[a]! < 0) continue;
        const n = this.atomNode[a]!;
        if (nodes.length && nodes[nodes.length - 1] === n) counts[counts.length - 1]!++;
        else {
          nodes.push(n);
          counts.push(1);
        }
      }
      f = { nodes: Int32Array.from(nodes), counts: Int32Array.from(counts) };
      this.footprints[head] = f;
    }
    return f;
  }

  /** Current output width by node index. */
  private widthAt(n: number): number {
    return this.kept[n]!.length;
  }

  /** Root-node positions of one unit. */
  private rootPositions(unit: number, root: NodeId): number[] {
    const r = this.nodeIndex(root);
    const out: number[] = [];
    for (let k = this.classStart[unit]!, end = this.classStart[unit + 1]!; k < end; k++) {
      const a = this.classFlat[k]!;
      if (this.atomNode[a] === r && this.pos[a]! >= 0) out.push(this.pos[a]!);
    }
    return out;
  }

  /** Whether a unit is still in the model. */
  private isAlive(unit: number): boolean {
    return this.classAlive[unit] === 1;
  }

  private nodeIndex(id: NodeId): number {
    const i = this.index.get(id);
    if (i === undefined) throw new ConfigError(`No node "${id}" in the model`, { nodeId: id }, { code: 'UNKNOWN_NODE' });
    return i;
  }

  private firstInput(i: number): number {
    const n = this.model.graph.node(this.ids[i]!);
    if (n.inputs.length === 0) throw new ConfigError(`Node "${n.id}" has no input channels`, { nodeId: n.id }, { code: 'PRUNE' });
    return this.index.get(n.inputs[0]!)!;
  }

  private refreshNodeInfo(): void {
    const graph = this.model.graph;
    const nodes = graph.nodes;
    this.rules = nodes.map((n) => getOp(n.op, n.id).channelRule(graph.inputShapes(n.id), n.attrs));
    this.outAxes = [];
    this.inAxes = [];
    for (const n of nodes) {
      const specs = Object.entries(graph.paramSpecs(n.id));
      this.outAxes.push(specs.filter(([, s]) => s.outAxis !== undefined).map(([role, s]) => ({ role, axis: s.outAxis!, slot: -1 })));
      this.inAxes.push(specs.filter(([, s]) => s.inAxis !== undefined).map(([role, s]) => ({ role, axis: s.inAxis!, slot: checkedSlot(n.id, role, s.inInput ?? 0, n.inputs.length) })));
    }
    this.consumers = nodes.map((n) => [...new Set(graph.consumers(n.id))].map((id) => this.index.get(id)!));
    this.inputIdx = nodes.map((n) => Int32Array.from(n.inputs, (id) => this.index.get(id)!));
    this.inSlotsWithAxes = nodes.map((n, i) => n.inputs.map((_, slot) => this.inAxes[i]!.some((pa) => pa.slot === slot)));
    this.inLinks = nodes.map((_, n) => this.consumers[n]!.flatMap((m) => {
      const ins = this.inputIdx[m]!;
      const links: Array<{ key: number; rule: ChannelRule }> = [];
      for (let slot = 0; slot < ins.length; slot++) if (ins[slot] === n && this.inSlotsWithAxes[m]![slot]) links.push({ key: m * SLOT_CODES + 1 + slot, rule: this.rules[m]! });
      return links;
    }));
  }
}

/** A member key's runs and their expansion to `indices` / `units`, computed on first access and shared by the key's members. */
class LazyPositions {
  private expanded: { indices: number[]; units: number[] } | undefined;

  constructor(readonly runs: Runs) {}

  /** The expanded runs ({@link expandRuns}). */
  get(): { indices: number[]; units: number[] } {
    this.expanded ??= expandRuns(this.runs);
    return this.expanded;
  }
}

/** A {@link Member} built by {@link DependencyGraph}'s `members` (a class: no closures or accessor pairs per member). */
class RunMember implements Member {
  readonly name: string;
  readonly runs: Runs;

  constructor(readonly node: NodeId, readonly op: string, readonly role: string, readonly axis: number, readonly side: 'out' | 'in', private readonly positions: LazyPositions) {
    this.name = `${node}/${role}`;
    this.runs = positions.runs;
  }

  get indices(): readonly number[] {
    return this.positions.get().indices;
  }

  get units(): readonly number[] {
    return this.positions.get().units;
  }
}

/**
 * Class of every atom: the union-find sets (`roots`: each atom's representative) numbered by
 * their first atom. The build's loops over every atom (ResNet-50 has 94,059) are module functions
 * over typed arrays returning one array each: optimized once, not per build (an optimized loop
 * that returned an object literal was deoptimized, and optimized again, on every call).
 */
function numberClasses(roots: Int32Array): Int32Array {
  const classOf = new Int32Array(roots.length);
  const repClass = new Int32Array(roots.length).fill(-1);
  let classes = 0;
  for (let a = 0; a < roots.length; a++) {
    const r = roots[a]!;
    let c = repClass[r]!;
    if (c < 0) {
      c = classes++;
      repClass[r] = c;
    }
    classOf[a] = c;
  }
  return classOf;
}

/** Number of classes of a {@link numberClasses} numbering (classes appear in order: the last new one is the largest). */
function classCountOf(classOf: Int32Array): number {
  let max = -1;
  for (let a = 0; a < classOf.length; a++) if (classOf[a]! > max) max = classOf[a]!;
  return max + 1;
}

/** Start of every class's atoms in {@link classMembers}' array, plus the total at the end. */
function classStarts(classOf: Int32Array, classes: number): Int32Array {
  const starts = new Int32Array(classes + 1);
  for (let a = 0; a < classOf.length; a++) starts[classOf[a]! + 1]!++;
  for (let c = 0; c < classes; c++) starts[c + 1] = starts[c]! + starts[c + 1]!;
  return starts;
}

/** Atoms of every class, ascending, as views of one array: class `c` holds `flat[starts[c] .. starts[c + 1] - 1]`. */
function classMembers(classOf: Int32Array, starts: Int32Array): Int32Array {
  const flat = new Int32Array(classOf.length);
  const fill = starts.slice(0, starts.length - 1);
  for (let a = 0; a < classOf.length; a++) flat[fill[classOf[a]!]!++] = a;
  return flat;
}

/** The node of each class's first atom. */
function classRoots(flat: Int32Array, starts: Int32Array, atomNode: Int32Array, classes: number): Int32Array {
  const roots = new Int32Array(classes);
  for (let c = 0; c < classes; c++) roots[c] = atomNode[flat[starts[c]!]!]!;
  return roots;
}

/** A node's atoms `base .. base + width - 1` in channel order, their positions written to `pos`. */
function initialKept(pos: Int32Array, base: number, width: number): Int32Array {
  const k = new Int32Array(width);
  for (let c = 0; c < width; c++) {
    k[c] = base + c;
    pos[base + c] = c;
  }
  return k;
}

/** Fills `stripNext` and `stripHead` (see {@link DependencyGraph}'s `refreshStrips`). */
function linkStrips(classes: number, atomNode: Int32Array, classAlive: Uint8Array, classFlat: Int32Array, classStart: Int32Array, stripNext: Uint8Array, stripHead: Int32Array): void {
  stripHead[0] = 0;
  for (let c = 0; c + 1 < classes; c++) {
    const a = classStart[c]!;
    const b = classStart[c + 1]!;
    const len = b - a;
    let ok = classAlive[c] === 1 && classAlive[c + 1] === 1 && classStart[c + 2]! - b === len;
    for (let k = 0; ok && k < len; k++) {
      const x = classFlat[a + k]!;
      const y = classFlat[b + k]!;
      ok = y === x + 1 && atomNode[y] === atomNode[x];
    }
    stripNext[c] = ok ? 1 : 0;
    stripHead[c + 1] = ok ? stripHead[c]! : c + 1;
  }
}

/** The alive atoms of `units`, one byte per atom (module-level loops over typed arrays, see {@link numberClasses}). */
function removedAtoms(units: readonly number[], classStart: Int32Array, classFlat: Int32Array, pos: Int32Array): Uint8Array {
  const removed = new Uint8Array(pos.length);
  for (let i = 0; i < units.length; i++) {
    const c = units[i]!;
    for (let k = classStart[c]!, end = classStart[c + 1]!; k < end; k++) {
      const a = classFlat[k]!;
      if (pos[a]! >= 0) removed[a] = 1;
    }
  }
  return removed;
}

/** The nodes owning a removed atom, one byte per node. */
function touchedNodes(removed: Uint8Array, atomNode: Int32Array, nodes: number): Uint8Array {
  const touched = new Uint8Array(nodes);
  for (let a = 0; a < removed.length; a++) if (removed[a]) touched[atomNode[a]!] = 1;
  return touched;
}

/** Of a node's atoms in position order (`kept`): the positions that stay and the atoms at them. */
function keptAfter(kept: Int32Array, removed: Uint8Array): { positions: Int32Array; next: Int32Array } {
  const positions = new Int32Array(kept.length);
  let j = 0;
  for (let p = 0; p < kept.length; p++) if (!removed[kept[p]!]) positions[j++] = p;
  const next = new Int32Array(j);
  for (let i = 0; i < j; i++) next[i] = kept[positions[i]!]!;
  return { positions: positions.subarray(0, j), next };
}

/** Marks every removed atom's position -1. */
function dropRemoved(pos: Int32Array, removed: Uint8Array): void {
  for (let a = 0; a < removed.length; a++) if (removed[a]) pos[a] = -1;
}

/** Positions of a node's atoms after a prune: their index in `next`. */
function renumber(pos: Int32Array, next: Int32Array): void {
  for (let p = 0; p < next.length; p++) pos[next[p]!] = p;
}

/** The distinct units of `groups`, ascending (marked, then read in order: no sort). */
function mergedUnits(groups: readonly Group[], unitCount: number): number[] {
  const mark = new Uint8Array(unitCount);
  let total = 0;
  for (const g of groups) {
    for (const u of g.units) {
      total += 1 - mark[u]!;
      mark[u] = 1;
    }
  }
  const out = new Array<number>(total);
  for (let u = 0, k = 0; k < total; u++) if (mark[u]) out[k++] = u;
  return out;
}

function checkedSlot(node: NodeId, role: string, slot: number, inputs: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= Math.min(inputs, SLOT_CODES - 1)) {
    throw new ConfigError(`Node "${node}": param "${role}" declares inInput ${slot}, but the node has ${inputs} input(s)`, { nodeId: node, param: role }, { code: 'PRUNE' });
  }
  return slot;
}
