import { BonsaiError, ConfigError, ShapeError } from '../errors';
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
  private versionCounter = 0;
  private nodeList: readonly Node[] | undefined;
  private readonly specCache = new Map<NodeId, Readonly<Record<string, ParamSpec>>>();

  constructor(json: GraphJSON) {
    if (!Array.isArray(json.nodes) || !Array.isArray(json.inputs) || !Array.isArray(json.outputs)) {
      throw new ConfigError('A graph needs "nodes", "inputs" and "outputs" arrays', {}, { code: 'GRAPH' });
    }
    for (const raw of json.nodes) {
      if (!raw || typeof raw.id !== 'string' || raw.id === '' || typeof raw.op !== 'string' || !Array.isArray(raw.inputs)) {
        throw new ConfigError(`Malformed node ${JSON.stringify(raw)?.slice(0, 120)}: needs string "id", "op" and an "inputs" array`, {}, { code: 'GRAPH' });
      }
      if (this.byId.has(raw.id)) throw new ConfigError(`Duplicate node id "${raw.id}"`, { nodeId: raw.id }, { code: 'GRAPH' });
      const spec = getOp(raw.op, raw.id);
      for (const inp of raw.inputs) {
        if (typeof inp !== 'string' || !this.byId.has(inp)) {
          throw new ConfigError(`Node "${raw.id}" reads "${String(inp)}", which is not an earlier node`, { nodeId: raw.id }, { code: 'GRAPH' });
        }
      }
      const n = raw.inputs.length;
      if (spec.arity === 'variadic' ? n < 1 : n !== spec.arity) {
        throw new ConfigError(`Node "${raw.id}" (${raw.op}) has ${n} inputs, expects ${spec.arity === 'variadic' ? 'at least 1' : spec.arity}`, { nodeId: raw.id }, { code: 'GRAPH' });
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
    for (const id of json.inputs) if (!this.byId.has(id) || !getOp(this.byId.get(id)!.op, id).graphInput) throw new ConfigError(`Graph input "${id}" is not an input node`, { nodeId: id }, { code: 'GRAPH' });
    for (const id of json.outputs) if (!this.byId.has(id)) throw new ConfigError(`Graph output "${id}" is not a node`, { nodeId: id }, { code: 'UNKNOWN_NODE' });
    if (json.inputs.length === 0 || json.outputs.length === 0) throw new ConfigError('A graph needs at least one input and one output', {}, { code: 'GRAPH' });
    this.inputs = [...json.inputs];
    this.outputs = [...json.outputs];
    this.shapes = this.inferAll();
  }

  /**
   * Bumped by every mutation (`setAttrs`): caches and execution plans built for one version are
   * valid exactly while it is current.
   */
  get version(): number {
    return this.versionCounter;
  }

  /** Nodes in topological order (one shared array per graph version; do not mutate it). */
  get nodes(): readonly Node[] {
    this.nodeList ??= Object.freeze(this.order.map((id) => this.byId.get(id)!));
    return this.nodeList;
  }

  /** The node `id`; throws UNKNOWN_NODE naming it. */
  node(id: NodeId): Node {
    const n = this.byId.get(id);
    if (!n) throw new ConfigError(`No node "${id}" in the graph`, { nodeId: id }, { code: 'UNKNOWN_NODE' });
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

  /** Declared params of node `id` (role -> spec), computed once per graph version. */
  paramSpecs(id: NodeId): Readonly<Record<string, ParamSpec>> {
    let specs = this.specCache.get(id);
    if (!specs) {
      const n = this.node(id);
      specs = getOp(n.op, id).paramShapes(this.inputShapes(id), n.attrs);
      for (const [role, p] of Object.entries(specs)) {
        try {
          checkShapeSize(p.shape);
        } catch (e) {
          throw withNode(e, id, role);
        }
      }
      this.specCache.set(id, specs);
    }
    return specs;
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
    this.versionCounter++;
    this.nodeList = undefined;
    this.specCache.clear();
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
        checkShapeSize(s);
        shapes.set(id, s);
      } catch (e) {
        throw withNode(e, id);
      }
    }
    return shapes;
  }
}

/** Largest element count of one sample's tensor: tfjs indexes tensors with int32. */
export const MAX_SAMPLE_ELEMENTS = 2 ** 31 - 1;

function checkShapeSize(s: Shape): void {
  let n = 1;
  for (const d of s) {
    if (!Number.isSafeInteger(d) || d < 1) throw new ShapeError(`shape [${s.join(', ')}] has a dimension that is not a positive integer`);
    n *= d;
  }
  if (n > MAX_SAMPLE_ELEMENTS) throw new ShapeError(`shape [${s.join(', ')}] has ${n.toExponential(2)} elements per sample; tfjs tensors hold at most 2^31 - 1`);
}

/** Adds the node to an error's message and details, keeping its class (the original is the `cause`). */
function withNode(e: unknown, nodeId: NodeId, param?: string): unknown {
  if (param !== undefined && e instanceof BonsaiError) return e.withContext(`Node "${nodeId}", param "${param}"`, { nodeId, param });
  if (e instanceof BonsaiError && !e.message.includes(`"${nodeId}"`)) return e.withContext(`Node "${nodeId}"`, { nodeId });
  return e;
}
