import * as tf from '@tensorflow/tfjs-core';
import {
  BonsaiError,
  getOp,
  Graph,
  Model,
  Param,
  paramName,
  readArrayBuffer,
  readJson,
  resolveInside,
  SerializationError,
  type Attrs,
  type Node,
  type NodeId,
  type Shape,
} from '@bonsai/core';
import { InteropError } from '../errors';
import { isObject, own, show, type JsonObject } from '../json';
import { fail, type ImportContext } from './context';
import { GRAPH_MODEL, nodeError } from './errors';
import { foldBiasAdds } from './patterns';
import { fuseTransformerPatterns } from './ops/transformer';
import { setGraphProvenance } from './provenance';
import { graphImporter, supportedGraphOps } from './table';
import { TfAttrs, type TfNode } from './tf-attrs';
import { parseGraphTopology, tensorRef, type TfGraph } from './topology';
import { decodeGraphWeights, parseGraphManifest, type ConstValue } from './weights';

/** A GraphModel in memory: model.json content (object or text) and its weight files concatenated in manifest order. */
export interface GraphModelArtifacts {
  modelJson: unknown;
  weights: ArrayBuffer | ArrayBufferView;
}

/** Options of {@link importGraphModel}. */
export interface GraphImportOptions {
  /** Seed stored in the Bonsai model (default 0). */
  seed?: number;
  /** Fold a Const added right after a bias-free conv/dense into its bias (default true). */
  foldBias?: boolean;
}

/** Name of the model topology file. */
export const GRAPH_MODEL_FILE = 'model.json';

/**
 * Imports a tfjs-converter GraphModel (`format: "graph-model"`) as a Bonsai {@link Model}.
 * `source` is a `model.json` path or its folder (Node; weight paths confined to the folder),
 * {@link GraphModelArtifacts}, or tfjs `io.ModelArtifacts`. Node ids are the TF node names (a
 * fused op's extra nodes are `${name}/${op}`); the signature and names are kept as provenance
 * ({@link graphModelProvenance}) so that {@link exportGraphModel} writes the model back.
 *
 * Errors are typed: unsupported ops and structures throw an InteropError naming "GraphModel", the
 * node, the op and the supported list; bad files throw SerializationError naming the file.
 */
export async function importGraphModel(source: string | GraphModelArtifacts | tf.io.ModelArtifacts, options: GraphImportOptions = {}): Promise<Model> {
  if (typeof source === 'string') {
    const art = await readGraphModelFiles(source);
    return importGraphModelArtifacts(art, options, art.file);
  }
  return importGraphModelArtifacts(source, options);
}

/** Reads a GraphModel's model.json (a path to it, or its folder) and its weight files. Node only. */
export async function readGraphModelFiles(path: string): Promise<GraphModelArtifacts & { file: string }> {
  const { join, dirname } = await import('node:path');
  const { stat } = await import('node:fs/promises');
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, GRAPH_MODEL_FILE);
  } catch {
    // readJson below reports the missing path.
  }
  const dir = dirname(file);
  const json = await readJson(file);
  if (!isObject(json)) throw new SerializationError('not a JSON object', file);
  const { groups } = parseGraphManifest(own(json, 'weightsManifest'), file, undefined);
  const parts: Uint8Array[] = [];
  for (const g of groups) {
    let got = 0;
    for (const p of g.paths) {
      const buf = await readArrayBuffer(await resolveInside(dir, p));
      got += buf.byteLength;
      parts.push(new Uint8Array(buf));
    }
    if (got !== g.bytes) throw new SerializationError(`weight files ${g.paths.join(', ')} hold ${got} bytes, the manifest describes ${g.bytes}`, file);
  }
  return { modelJson: json, weights: tf.io.CompositeArrayBuffer.join(parts.map((p) => p.buffer as ArrayBuffer)), file };
}

function normalizeArtifacts(art: unknown, file: string): { json: JsonObject; data: Uint8Array } {
  if (!isObject(art)) throw new SerializationError(`GraphModel artifacts must be { modelJson, weights } or tfjs ModelArtifacts, got ${show(art)}`, file);
  if (own(art, 'modelJson') === undefined && own(art, 'modelTopology') !== undefined) {
    // tfjs io.ModelArtifacts: weightSpecs + weightData.
    const { weightSpecs, weightData, ...rest } = art as JsonObject & { weightSpecs?: unknown; weightData?: unknown };
    const wd = weightData === undefined ? new ArrayBuffer(0) : Array.isArray(weightData) ? tf.io.CompositeArrayBuffer.join(weightData as ArrayBuffer[]) : weightData;
    return normalizeArtifacts({ modelJson: { ...rest, weightsManifest: [{ paths: [], weights: weightSpecs ?? [] }] }, weights: wd }, file);
  }
  let json = own(art, 'modelJson');
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json) as unknown;
    } catch (e) {
      throw new SerializationError(`not valid JSON: ${(e as Error).message}`, file);
    }
  }
  if (!isObject(json)) throw new SerializationError(`model.json must be an object, got ${show(json)}`, file);
  const w = own(art, 'weights');
  const data = w instanceof ArrayBuffer ? new Uint8Array(w) : ArrayBuffer.isView(w) ? new Uint8Array(w.buffer, w.byteOffset, w.byteLength) : undefined;
  if (!data) throw new SerializationError(`weights must be an ArrayBuffer or a typed array, got ${show(w)}`, file);
  return { json, data };
}

/** In-memory import (synchronous); see {@link importGraphModel}. `file` labels SerializationErrors. */
export function importGraphModelArtifacts(art: GraphModelArtifacts | tf.io.ModelArtifacts, options: GraphImportOptions = {}, file = GRAPH_MODEL_FILE): Model {
  const { json, data } = normalizeArtifacts(art, file);
  const format = own(json, 'format');
  if (format !== undefined && format !== 'graph-model') throw new SerializationError(`${GRAPH_MODEL} import: "format" is ${show(format)}, expected "graph-model"`, file);
  const graph = parseGraphTopology(json, file);
  const { specs } = parseGraphManifest(own(json, 'weightsManifest') ?? [], file, data.byteLength);
  const consts = decodeGraphWeights(data, specs, file);
  const built = convert(fuseTransformerPatterns(graph, consts), consts, file);
  if (options.foldBias ?? true) foldBiasAdds(built);
  const model = buildModel(built, options);
  setGraphProvenance(model, {
    format: 'graph-model',
    meta: graph.meta,
    topologyMeta: graph.topologyMeta,
    tfNames: built.tfNames,
    signatureInputs: graph.inputs,
    signatureOutputs: graph.outputs,
    fixedBatch: built.fixedBatch,
  });
  return model;
}

/** The Bonsai nodes and param values a GraphModel converts to (before the Graph is built). */
export interface ConvertedGraph {
  nodes: Node[];
  inputs: NodeId[];
  outputs: NodeId[];
  shapes: Map<NodeId, Shape>;
  params: Map<string, { values: Float32Array; shape: Shape }>;
  tfNames: Map<NodeId, string>;
  fixedBatch: number | undefined;
}

/** Nodes reachable from the outputs, inputs before users; a cycle (control flow) is an error. */
function reachable(graph: TfGraph, outputs: readonly string[]): TfNode[] {
  const state = new Map<string, 1 | 2>();
  const order: TfNode[] = [];
  for (const out of outputs) {
    const stack: Array<{ node: TfNode; next: number }> = [];
    const push = (name: string, from: TfNode | undefined): void => {
      const n = graph.nodes.get(name);
      if (!n) throw from ? nodeError(from.name, from.op, `reads "${name}", which is not a node of the graph`) : new SerializationError(`${GRAPH_MODEL} output "${name}" is not a node of the graph`, GRAPH_MODEL_FILE);
      const s = state.get(name);
      if (s === 2) return;
      if (s === 1) throw nodeError(n.name, n.op, 'the graph has a cycle here (control flow loops are not supported)');
      state.set(name, 1);
      stack.push({ node: n, next: 0 });
    };
    push(out, undefined);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.node.input.length) {
        push(tensorRef(top.node.input[top.next++]!).node, top.node);
        continue;
      }
      stack.pop();
      state.set(top.node.name, 2);
      order.push(top.node);
    }
  }
  return order;
}

function defaultOutputs(graph: TfGraph): string[] {
  const used = new Set<string>();
  for (const n of graph.nodes.values()) for (const i of n.input) used.add(tensorRef(i).node);
  return graph.order.filter((name) => !used.has(name) && !['Const', 'NoOp', 'Placeholder'].includes(graph.nodes.get(name)!.op));
}

const CONTROL_FLOW = new Set(['Enter', 'Exit', 'Merge', 'Switch', 'LoopCond', 'NextIteration', 'If', 'StatelessIf', 'While', 'StatelessWhile', 'TensorListReserve', 'TensorListFromTensor', 'TensorListGetItem', 'TensorListSetItem', 'TensorListStack']);

function placeholderShape(n: TfNode, graph: TfGraph): number[] {
  const attrs = new TfAttrs(n);
  const dtype = attrs.dtype('dtype', 'DT_FLOAT');
  if (dtype !== 'DT_FLOAT') throw nodeError(n.name, n.op, `input dtype ${dtype} is not supported (float32 inputs only)`, 'dtype');
  const sig = graph.inputs?.find((t) => tensorRef(t.tensor).node === n.name);
  const shape = attrs.shape('shape') ?? (sig?.shape ? [...sig.shape] : undefined);
  if (!shape || shape.length < 2) throw nodeError(n.name, n.op, `the input needs a known shape [batch, ...] of rank >= 2, got ${show(shape)} (dynamic shapes are not supported)`, 'shape');
  if (shape.slice(1).some((d) => d < 1)) throw nodeError(n.name, n.op, `input shape [${shape.join(', ')}] has unknown per-sample dimensions (dynamic shapes are not supported)`, 'shape');
  return shape;
}

function convert(graph: TfGraph, consts: ReadonlyMap<string, { readonly values: Float32Array | Int32Array } & ConstValue>, file: string): ConvertedGraph {
  const outputRefs = graph.outputs?.map((t) => t.tensor) ?? defaultOutputs(graph);
  if (outputRefs.length === 0) throw new SerializationError(`${GRAPH_MODEL} has no outputs`, file);
  const order = reachable(graph, outputRefs.map((r) => tensorRef(r).node));
  const out: ConvertedGraph = { nodes: [], inputs: [], outputs: [], shapes: new Map(), params: new Map(), tfNames: new Map(), fixedBatch: undefined };
  const placeholders = order.filter((n) => n.op === 'Placeholder');
  for (const p of placeholders) {
    const b = placeholderShape(p, graph)[0]!;
    if (b > 0) {
      if (out.fixedBatch !== undefined && out.fixedBatch !== b) throw nodeError(p.name, p.op, `batch size ${b} differs from another input's ${out.fixedBatch}`);
      out.fixedBatch = b;
    }
  }
  // Refuse unsupported ops before converting anything, naming the first one and listing the rest.
  const unsupported = order.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && !graphImporter(n.op));
  if (unsupported.length > 0) {
    const n = unsupported[0]!;
    const why = CONTROL_FLOW.has(n.op) ? ' (control flow)' : '';
    const others = [...new Set(unsupported.map((u) => u.op))].filter((op) => op !== n.op);
    const also = others.length > 0 ? ` (nor are ${others.join(', ')}, used by other nodes)` : '';
    throw new InteropError(`${GRAPH_MODEL} node "${n.name}": op "${n.op}"${why} is not supported${also}; supported ops: ${supportedGraphOps().join(', ')}`, { nodeId: n.name, op: n.op });
  }
  const reserved = new Set(graph.order);
  const taken = new Set<string>();
  const tensors = new Map<string, NodeId>();
  const add = (n: Node, shape: Shape): void => {
    taken.add(n.id);
    out.nodes.push(n);
    out.shapes.set(n.id, shape);
  };
  for (const n of order) {
    if (n.op === 'Const') continue;
    if (n.op === 'Placeholder') {
      const shape = placeholderShape(n, graph).slice(1);
      add({ id: n.name, op: 'input', inputs: [], attrs: { shape } }, shape);
      out.inputs.push(n.name);
      tensors.set(`${n.name}:0`, n.name);
      out.tfNames.set(n.name, n.name);
      continue;
    }
    const importer = graphImporter(n.op)!;
    const ctx = context(n, consts, tensors, out, reserved, taken, add, file);
    const ids = importer(ctx);
    ids.forEach((id, k) => {
      tensors.set(`${n.name}:${k}`, id);
      if (!out.tfNames.has(id)) out.tfNames.set(id, k === 0 ? n.name : `${n.name}:${k}`);
    });
  }
  for (const ref of outputRefs) {
    const { node, index } = tensorRef(ref);
    const id = tensors.get(`${node}:${index}`);
    if (id === undefined) {
      const n = graph.nodes.get(node)!;
      throw nodeError(n.name, n.op, n.op === 'Const' ? 'a Const as a graph output is not supported' : `the graph output "${ref}" does not exist`);
    }
    out.outputs.push(id);
  }
  return out;
}

function context(
  n: TfNode,
  consts: ReadonlyMap<string, ConstValue>,
  tensors: ReadonlyMap<string, NodeId>,
  out: ConvertedGraph,
  reserved: ReadonlySet<string>,
  taken: ReadonlySet<string>,
  add: (n: Node, shape: Shape) => void,
  file: string,
): ImportContext {
  const inputNode = (i: number): { node: string; index: number } => {
    const ref = n.input[i];
    if (ref === undefined) throw nodeError(n.name, n.op, `has no input ${i} (it has ${n.input.length})`);
    return tensorRef(ref);
  };
  const constAt = (i: number): ConstValue | undefined => {
    const { node } = inputNode(i);
    return consts.get(node);
  };
  const ctx: ImportContext = {
    tf: n,
    attrs: new TfAttrs(n),
    arity: n.input.length,
    fixedBatch: out.fixedBatch,
    isConst: (i) => !tensors.has(`${inputNode(i).node}:${inputNode(i).index}`) && constAt(i) !== undefined,
    tensor(i) {
      const { node, index } = inputNode(i);
      const id = tensors.get(`${node}:${index}`);
      if (id === undefined) {
        if (consts.has(node)) fail(ctx, `input ${i} ("${node}") is a Const where an activation is expected`);
        fail(ctx, `input ${i} reads output ${index} of "${node}", which does not exist`);
      }
      return id;
    },
    constant(i) {
      const c = constAt(i);
      if (c === undefined) {
        const { node } = inputNode(i);
        if (tensors.has(`${node}:0`)) fail(ctx, `input ${i} ("${node}") must be a Const (dynamic values are not supported)`);
        throw new SerializationError(`${GRAPH_MODEL} Const "${node}" (input ${i} of node "${n.name}") has no entry in the weights manifest`, file);
      }
      return c;
    },
    ints(i) {
      const c = ctx.constant(i);
      if (c.dtype !== 'int32') fail(ctx, `input ${i} ("${c.name}") must be an int32 Const, got ${c.dtype}`);
      return Array.from(c.values);
    },
    shape(id) {
      const s = out.shapes.get(id);
      if (s === undefined) fail(ctx, `has no shape for "${id}"`);
      return s;
    },
    node(op, ins, attrs, suffix) {
      let id = suffix === undefined ? n.name : suffix.startsWith(':') ? `${n.name}${suffix}` : `${n.name}/${suffix}`;
      if (suffix !== undefined) for (let k = 1; reserved.has(id) || taken.has(id); k++) id = `${n.name}/${suffix}_${k}`;
      if (taken.has(id)) fail(ctx, `node id "${id}" is already used`);
      const spec = getOp(op, id);
      let norm: Attrs;
      let shape: Shape;
      try {
        norm = spec.normalizeAttrs(attrs);
        if (spec.arity !== 'variadic' && ins.length !== spec.arity) fail(ctx, `${op} expects ${spec.arity} input(s), got ${ins.length}`);
        shape = spec.inferShape(ins.map((i) => out.shapes.get(i)!), norm);
      } catch (e) {
        if (e instanceof InteropError) throw e;
        if (e instanceof BonsaiError) fail(ctx, e.message);
        throw e;
      }
      add({ id, op, inputs: [...ins], attrs: norm }, shape);
      return id;
    },
    param(id, role, values, shape) {
      const size = shape.reduce((a, b) => a * b, 1);
      if (values.length !== size) fail(ctx, `param "${role}" has ${values.length} values, its shape [${shape.join(', ')}] needs ${size}`);
      out.params.set(paramName(id, role), { values, shape: [...shape] });
    },
  };
  return ctx;
}

function buildModel(built: ConvertedGraph, options: GraphImportOptions): Model {
  let graph: Graph;
  try {
    graph = new Graph({ inputs: built.inputs, outputs: built.outputs, nodes: built.nodes });
  } catch (e) {
    if (e instanceof BonsaiError) throw e.withContext(`${GRAPH_MODEL}: the converted graph is invalid`);
    throw e;
  }
  const plan: Array<{ name: string; shape: Shape; trainable: boolean; values: Float32Array }> = [];
  for (const node of graph.nodes) {
    for (const [role, spec] of Object.entries(graph.paramSpecs(node.id))) {
      const name = paramName(node.id, role);
      const p = built.params.get(name);
      if (!p) throw new InteropError(`${GRAPH_MODEL} node "${node.id}" (${node.op}): no Const for param "${role}"`, { nodeId: node.id, op: node.op });
      if (p.shape.length !== spec.shape.length || p.shape.some((d, i) => d !== spec.shape[i])) {
        throw new InteropError(`${GRAPH_MODEL} node "${node.id}" (${node.op}): param "${role}" has shape [${p.shape.join(', ')}], the op expects [${spec.shape.join(', ')}]`, { nodeId: node.id, op: node.op });
      }
      plan.push({ name, shape: spec.shape, trainable: spec.trainable, values: p.values });
    }
  }
  const params = new Map<string, Param>();
  try {
    for (const p of plan) {
      const t = tf.tensor(p.values, [...p.shape], 'float32');
      params.set(p.name, new Param(p.name, t, p.trainable));
      t.dispose();
    }
    return new Model(graph, params, options.seed ?? 0);
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  }
}
