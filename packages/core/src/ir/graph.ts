import { BonsaiError, ShapeError } from '../errors';
import { getOp } from '../ops/registry';
import type { ParamSpec } from '../ops/spec';
import type { Attrs, Node, NodeId, Shape } from './types';

/** Serializable form of a graph. */
export interface GraphJSON {
  readonly inputs: readonly NodeId[];
  readonly outputs: readonly NodeId[];
  readonly nodes: readonly Node[];
}

/**
 * A DAG of op nodes in topological order, with per-node output shapes inferred from the op
 * registry. Topology is fixed once built; attributes change only through `setAttrs` (used by
 * channel pruning), which re-infers every shape and validates the graph again.
 */
export class Graph {
  readonly inputs: readonly NodeId[];
  readonly outputs: readonly NodeId[];
  private readonly byId = new Map<NodeId, Node>();
  private readonly order: NodeId[] = [];
  private shapes = new Map<NodeId, Shape>();
  private readonly users = new Map<NodeId, NodeId[]>();

  constructor(json: GraphJSON) {
    if (!Array.isArray(json.nodes) || !Array.isArray(json.inputs) || !Array.isArray(json.outputs)) {
      throw new BonsaiError('GRAPH', 'A graph needs "nodes", "inputs" and "outputs" arrays');
    }
    for (const raw of json.nodes) {
      if (!raw || typeof raw.id !== 'string' || raw.id === '' || typeof raw.op !== 'string' || !Array.isArray(raw.inputs)) {
        throw new BonsaiError('GRAPH', `Malformed node ${JSON.stringify(raw)?.slice(0, 120)}: needs string "id", "op" and an "inputs" array`);
      }
      if (this.byId.has(raw.id)) throw new BonsaiError('GRAPH', `Duplicate node id "${raw.id}"`, { nodeId: raw.id });
      const spec = getOp(raw.op, raw.id);
      for (const inp of raw.inputs) {
        if (typeof inp !== 'string' || !this.byId.has(inp)) {
          throw new BonsaiError('GRAPH', `Node "${raw.id}" reads "${String(inp)}", which is not an earlier node`, { nodeId: raw.id });
        }
      }
      const n = raw.inputs.length;
      if (spec.arity === 'variadic' ? n < 1 : n !== spec.arity) {
        throw new BonsaiError('GRAPH', `Node "${raw.id}" (${raw.op}) has ${n} inputs, expects ${spec.arity === 'variadic' ? 'at least 1' : spec.arity}`, { nodeId: raw.id });
      }
      let attrs: Attrs;
      try {
        attrs = spec.normalizeAttrs(raw.attrs ?? {});
      } catch (e) {
        throw withNode(e, raw.id);
      }
      const node: Node = { id: raw.id, op: raw.op, inputs: [...raw.inputs], attrs };
      this.byId.set(node.id, node);
      this.order.push(node.id);
      this.users.set(node.id, []);
      for (const inp of node.inputs) this.users.get(inp)!.push(node.id);
    }
    for (const id of json.inputs) if (this.byId.get(id)?.op !== 'input') throw new BonsaiError('GRAPH', `Graph input "${id}" is not an input node`, { nodeId: id });
    for (const id of json.outputs) if (!this.byId.has(id)) throw new BonsaiError('UNKNOWN_NODE', `Graph output "${id}" is not a node`, { nodeId: id });
    if (json.inputs.length === 0 || json.outputs.length === 0) throw new BonsaiError('GRAPH', 'A graph needs at least one input and one output');
    this.inputs = [...json.inputs];
    this.outputs = [...json.outputs];
    this.shapes = this.inferAll();
  }

  /** Nodes in topological order. */
  get nodes(): Node[] {
    return this.order.map((id) => this.byId.get(id)!);
  }

  /** The node `id`; throws UNKNOWN_NODE naming it. */
  node(id: NodeId): Node {
    const n = this.byId.get(id);
    if (!n) throw new BonsaiError('UNKNOWN_NODE', `No node "${id}" in the graph`, { nodeId: id });
    return n;
  }

  /** Whether the graph has node `id`. */
  has(id: NodeId): boolean {
    return this.byId.has(id);
  }

  /** Output shape of node `id` (no batch dimension). */
  shape(id: NodeId): Shape {
    this.node(id);
    return this.shapes.get(id)!;
  }

  /** Shapes of the inputs of node `id`. */
  inputShapes(id: NodeId): Shape[] {
    return this.node(id).inputs.map((i) => this.shapes.get(i)!);
  }

  /** Nodes that read node `id`'s output. */
  consumers(id: NodeId): readonly NodeId[] {
    this.node(id);
    return this.users.get(id)!;
  }

  /** Declared params of node `id` (role -> spec). */
  paramSpecs(id: NodeId): Readonly<Record<string, ParamSpec>> {
    const n = this.node(id);
    return getOp(n.op, id).paramShapes(this.inputShapes(id), n.attrs);
  }

  /**
   * Replaces the attributes of several nodes at once and re-infers all shapes; on a shape error
   * nothing changes.
   */
  setAttrs(changes: ReadonlyMap<NodeId, Attrs>): void {
    const old = new Map<NodeId, Node>();
    for (const [id, attrs] of changes) {
      const n = this.node(id);
      old.set(id, n);
      let norm: Attrs;
      try {
        norm = getOp(n.op, id).normalizeAttrs(attrs);
      } catch (e) {
        for (const [oid, on] of old) this.byId.set(oid, on);
        throw withNode(e, id);
      }
      this.byId.set(id, { ...n, attrs: norm });
    }
    try {
      this.shapes = this.inferAll();
    } catch (e) {
      for (const [id, n] of old) this.byId.set(id, n);
      throw e;
    }
  }

  /** Serializable copy. */
  toJSON(): GraphJSON {
    return { inputs: [...this.inputs], outputs: [...this.outputs], nodes: this.nodes.map((n) => ({ ...n, inputs: [...n.inputs] })) };
  }

  /** Deep copy. */
  clone(): Graph {
    return new Graph(JSON.parse(JSON.stringify(this.toJSON())) as GraphJSON);
  }

  private inferAll(): Map<NodeId, Shape> {
    const shapes = new Map<NodeId, Shape>();
    for (const id of this.order) {
      const n = this.byId.get(id)!;
      const spec = getOp(n.op, id);
      try {
        const s = spec.inferShape(n.inputs.map((i) => shapes.get(i)!), n.attrs);
        shapes.set(id, s);
      } catch (e) {
        throw withNode(e, id);
      }
    }
    return shapes;
  }
}

function withNode(e: unknown, nodeId: NodeId): unknown {
  if (e instanceof ShapeError && !e.message.startsWith('Node "')) return new ShapeError(e.message, nodeId);
  if (e instanceof BonsaiError && !e.message.includes(`"${nodeId}"`)) {
    const err = new BonsaiError(e.code, `Node "${nodeId}": ${e.message}`, { ...e.details, nodeId });
    err.name = e.name;
    return err;
  }
  return e;
}
