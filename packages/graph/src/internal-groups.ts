import { BonsaiError, ConfigError, getOp, paramName, type Model, type NodeId, type Shape } from '@bonsai/core';
import { checkCuts, keepAlongAxes, type AxisCut } from './slice-tensor';

/** One param slice of an internal group's units: positions along `axis` of param `role` of `node`. */
export interface InternalMember {
  readonly node: NodeId;
  readonly role: string;
  /** Full param name `node/role`. */
  readonly name: string;
  readonly axis: number;
  /** Positions along `axis` (current numbering), ascending. */
  readonly indices: readonly number[];
  /** For each entry of `indices`: which unit it belongs to. */
  readonly units: readonly number[];
}

/**
 * Prunable structure inside one node that leaves its input and output channels alone: the heads
 * of a `multiHeadAttention` node ('heads') or the same dim of every head ('headDims'), as the op's
 * spec declares them (`internalGroups` / `adaptInternal`). Pruning units slices every member param
 * and updates the node's attributes (`numHeads`, `headDim`) itself: no hand patching.
 */
export class InternalGroup {
  constructor(readonly model: Model, readonly node: NodeId, readonly name: string) {
    this.spec();
  }

  /** Current number of units (heads, head dims). */
  get count(): number {
    return this.spec().count;
  }

  /** Param slices of `units` (default: every unit), one member per param. */
  members(units: readonly number[] = Array.from({ length: this.count }, (_, u) => u)): InternalMember[] {
    const spec = this.spec();
    const byRole = new Map<string, { axis: number; pos: Map<number, number> }>();
    for (const u of this.checkedUnits(units, spec.count)) {
      for (const s of spec.slices(u)) {
        let entry = byRole.get(s.role);
        if (!entry) {
          entry = { axis: s.axis, pos: new Map() };
          byRole.set(s.role, entry);
        }
        for (const i of s.indices) entry.pos.set(i, u);
      }
    }
    return [...byRole].sort((a, b) => a[0].localeCompare(b[0])).map(([role, { axis, pos }]) => {
      const indices = [...pos.keys()].sort((x, y) => x - y);
      return { node: this.node, role, name: paramName(this.node, role), axis, indices, units: indices.map((i) => pos.get(i)!) };
    });
  }

  /** Why removing `units` is refused (all units, bad ids), or undefined when it may be pruned. */
  explain(units: readonly number[]): string | undefined {
    const count = this.count;
    const distinct = new Set(units);
    if ([...distinct].some((u) => !Number.isInteger(u) || u < 0 || u >= count)) return `units must be integers in [0, ${count})`;
    if (distinct.size >= count) return `it would remove all ${count} ${this.name} of node "${this.node}"`;
    return undefined;
  }

  /**
   * Physically removes `units` (current numbering): slices every member param (and mask) and sets
   * the node's new attributes; shapes are checked before any tensor is touched.
   * @throws BonsaiError PRUNE when {@link explain} refuses.
   */
  prune(units: readonly number[]): void {
    if (units.length === 0) return;
    const why = this.explain(units);
    if (why !== undefined) throw new ConfigError(`Cannot prune ${this.name} of node "${this.node}": ${why}`, { nodeId: this.node }, { code: 'PRUNE' });
    const graph = this.model.graph;
    const node = graph.node(this.node);
    const op = getOp(node.op, node.id);
    const removed = new Set(units);
    const kept = Array.from({ length: this.count }, (_, u) => u).filter((u) => !removed.has(u));
    const pending: Array<{ role: string; cuts: AxisCut[]; shape: Shape }> = [];
    for (const m of this.members([...removed])) {
      const param = this.model.param(this.node, m.role);
      if (!param) throw new ConfigError(`Node "${this.node}" is missing param "${m.role}"`, { nodeId: this.node, param: m.role }, { code: 'PARAM' });
      const drop = new Set(m.indices);
      const keep = Array.from({ length: param.shape[m.axis]! }, (_, i) => i).filter((i) => !drop.has(i));
      const cuts = [{ axis: m.axis, keep }];
      pending.push({ role: m.role, cuts, shape: checkCuts(param.shape, cuts) });
    }
    const oldAttrs = node.attrs;
    graph.setAttrs(new Map([[this.node, op.adaptInternal!(op.normalizeAttrs(node.attrs), this.name, kept)]]));
    const specs = graph.paramSpecs(this.node);
    for (const { role, shape } of pending) {
      const want = specs[role]?.shape;
      if (!want || want.length !== shape.length || want.some((d, i) => d !== shape[i])) {
        graph.setAttrs(new Map([[this.node, oldAttrs]]));
        throw new BonsaiError('PRUNE', `Internal error: param "${paramName(this.node, role)}" would have shape [${shape.join(', ')}], node "${this.node}" expects [${want?.join(', ') ?? ''}]`, { nodeId: this.node });
      }
    }
    for (const { role, cuts } of pending) {
      const param = this.model.param(this.node, role)!;
      const value = keepAlongAxes(param.value, cuts);
      const mask = param.mask ? keepAlongAxes(param.mask, cuts) : undefined;
      param.replace(value, mask);
      value.dispose();
      mask?.dispose();
    }
  }

  private spec() {
    const graph = this.model.graph;
    const node = graph.node(this.node);
    const op = getOp(node.op, node.id);
    const g = op.internalGroups?.(graph.inputShapes(node.id), op.normalizeAttrs(node.attrs)).find((x) => x.name === this.name);
    if (!g || !op.adaptInternal) throw new ConfigError(`Node "${this.node}" (${node.op}) has no internal group "${this.name}"`, { nodeId: this.node, key: this.name });
    return g;
  }

  private checkedUnits(units: readonly number[], count: number): number[] {
    for (const u of units) {
      if (!Number.isInteger(u) || u < 0 || u >= count) throw new ConfigError(`Unit ${u} is out of range for ${this.name} of node "${this.node}" (${count})`, { nodeId: this.node });
    }
    return [...new Set(units)].sort((a, b) => a - b);
  }
}

/** Options of {@link internalGroups}. */
export interface InternalGroupsOptions {
  /** Only groups with these names (default: every name, e.g. 'heads' and 'headDims'). */
  names?: readonly string[];
  /** Nodes left alone. */
  ignored?: Iterable<NodeId>;
}

/** Every internal group of the model's nodes (attention heads, head dims), in topological order. */
export function internalGroups(model: Model, options: InternalGroupsOptions = {}): InternalGroup[] {
  const ignored = new Set(options.ignored ?? []);
  const out: InternalGroup[] = [];
  for (const node of model.graph.nodes) {
    if (ignored.has(node.id)) continue;
    const op = getOp(node.op, node.id);
    if (!op.internalGroups) continue;
    for (const g of op.internalGroups(model.graph.inputShapes(node.id), op.normalizeAttrs(node.attrs))) {
      if (!options.names || options.names.includes(g.name)) out.push(new InternalGroup(model, node.id, g.name));
    }
  }
  return out;
}
