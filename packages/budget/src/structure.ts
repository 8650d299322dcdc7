import { getOp, type Model, type NodeId } from '@bonsai/core';
import { DependencyGraph } from '@bonsai/graph';

/** What one prunable group removes per unit: param axes and node outputs it shrinks. */
export interface GroupShape {
  /** The node the group is rooted at (the key of a ratio assignment). */
  readonly root: NodeId;
  /** Units (removable channels) of the dense group. */
  readonly units: number;
  /** Positions removed along `axis` of param `name` when every unit goes. */
  readonly members: ReadonlyArray<{ readonly name: string; readonly axis: number; readonly count: number }>;
  /** Output channels removed at `node` when every unit goes. */
  readonly slices: ReadonlyArray<{ readonly node: NodeId; readonly count: number }>;
}

/** One node of the cost model: its dense MACs and what its cost scales with. */
export interface NodeCost {
  readonly node: NodeId;
  readonly op: string;
  /** Dense MACs per sample (the op's `macs` formula). */
  readonly macs: number;
  /** The op's quantizable kernel param (`node/role`), whose kept fraction scales MACs and time; null: the output width does. */
  readonly weight: string | null;
  /** Dense output width (last axis). */
  readonly width: number;
}

/** A per-group removal ratio assignment, keyed by group root. Missing roots keep every channel. */
export type Ratios = Readonly<Record<NodeId, number>>;

/** Predicted shape facts of a ratio assignment. */
export interface StructureCost {
  /** Values stored in all params (BN statistics included), as @bonsai/eval's `countParams`. */
  params: number;
  /** Dense MACs per sample. */
  macs: number;
  /** float32 bytes of all params (`4 * params`). */
  bytes: number;
  /** Per node: kept fraction of its work (kernel size for weight ops, output width otherwise). */
  work: Map<NodeId, number>;
}

/**
 * The prunable structure of a model, read once from its dependency graph: every group
 * (`dg.groups({ ignored })`, graph outputs ignored as the Pruner does) with the param axes and node
 * outputs it shrinks, and every node's dense MACs. {@link Structure.cost} predicts params, MACs and
 * per-node work of any ratio assignment without touching a tensor.
 */
export class Structure {
  /** Prunable groups in the dependency graph's order. */
  readonly groups: readonly GroupShape[];
  /** Every param's dense shape. */
  readonly paramShapes: ReadonlyMap<string, readonly number[]>;
  /** Nodes with their dense MACs (graph inputs excluded), topological order. */
  readonly nodes: readonly NodeCost[];

  constructor(model: Model, options: { ignored?: readonly NodeId[] } = {}) {
    const dg = DependencyGraph.build(model);
    const ignored = options.ignored ?? model.graph.outputs;
    const groups: GroupShape[] = [];
    for (const g of dg.groups({ ignored })) {
      const members = g.members().map((m) => ({ name: m.name, axis: m.axis, count: m.indices.length }));
      const slices = g.slices().map((s) => ({ node: s.node, count: s.indices.length }));
      groups.push({ root: g.root, units: g.size, members, slices });
    }
    this.groups = groups;
    this.paramShapes = new Map([...model.params].map(([name, p]) => [name, [...p.shape]]));
    const g = model.graph;
    const nodes: NodeCost[] = [];
    for (const node of g.nodes) {
      const spec = getOp(node.op, node.id);
      if (spec.graphInput) continue;
      const shape = g.shape(node.id);
      const weight = spec.weightParam !== null && model.param(node.id, spec.weightParam) ? `${node.id}/${spec.weightParam}` : null;
      nodes.push({ node: node.id, op: node.op, macs: spec.macs(g.inputShapes(node.id), shape, node.attrs), weight, width: shape[shape.length - 1] ?? 1 });
    }
    this.nodes = nodes;
  }

  /** Group roots, in order. */
  get roots(): NodeId[] {
    return this.groups.map((g) => g.root);
  }

  /** Units a ratio removes from a group of `units` (as the Pruner: floor, and at least one unit kept). */
  static removedUnits(units: number, ratio: number): number {
    return Math.min(units - 1, Math.max(0, Math.floor(units * ratio + 1e-9)));
  }

  /** Predicted params, MACs, bytes and per-node work of `ratios`. */
  cost(ratios: Ratios): StructureCost {
    const removedAxis = new Map<string, number>();
    const removedOut = new Map<NodeId, number>();
    for (const g of this.groups) {
      const r = ratios[g.root] ?? 0;
      if (r <= 0) continue;
      const share = Structure.removedUnits(g.units, r) / g.units;
      for (const m of g.members) {
        const key = `${m.name}\u0000${m.axis}`;
        removedAxis.set(key, (removedAxis.get(key) ?? 0) + m.count * share);
      }
      for (const s of g.slices) removedOut.set(s.node, (removedOut.get(s.node) ?? 0) + s.count * share);
    }
    const kept = new Map<string, number>();
    let params = 0;
    for (const [name, shape] of this.paramShapes) {
      let size = 1;
      shape.forEach((d, axis) => {
        size *= Math.max(0, d - (removedAxis.get(`${name}\u0000${axis}`) ?? 0));
      });
      kept.set(name, size);
      params += size;
    }
    let macs = 0;
    const work = new Map<NodeId, number>();
    for (const n of this.nodes) {
      let w: number;
      if (n.weight !== null) {
        const dense = this.paramShapes.get(n.weight)!.reduce((a, d) => a * d, 1);
        w = dense > 0 ? kept.get(n.weight)! / dense : 1;
      } else {
        w = n.width > 0 ? Math.max(0, n.width - (removedOut.get(n.node) ?? 0)) / n.width : 1;
      }
      work.set(n.node, w);
      macs += n.macs * w;
    }
    return { params, macs, bytes: 4 * params, work };
  }
}

/** The same ratio for every group of `structure`. */
export function uniformRatios(structure: Structure, ratio: number): Record<NodeId, number> {
  return Object.fromEntries(structure.roots.map((r) => [r, ratio]));
}
