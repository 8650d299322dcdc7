import * as tf from '@tensorflow/tfjs-core';
import {
  BonsaiError,
  FormatError,
  getOp,
  Graph,
  Model,
  Param,
  paramName,
  readArrayBuffer,
  readJson,
  resolveInside,
  SerializationError,
  ShapeError,
  type Attrs,
  type Node,
  type NodeId,
  type Shape,
} from '@bonsai/core';
import { InteropError, layerError } from './errors';
import { ConfigReader, isObject, own, show } from './json';
import { decodeEntry, parseManifest, type WeightEntry, type WeightGroup } from './manifest';
import { layerEntry, LAYER_ENTRIES, type ImportContext } from './layers/index';
import { parseTopology, type KerasLayer } from './topology';

/** A tfjs LayersModel in memory: the parsed (or raw text) model.json and its weights, concatenated in manifest order. */
export interface LayersModelArtifacts {
  /** model.json content: `{ modelTopology, weightsManifest }` (or `weightSpecs`, tfjs's in-memory form). */
  modelJson: unknown;
  /** All weight files of the manifest, concatenated in order. */
  weights: ArrayBuffer | ArrayBufferView;
}

/** Options of {@link importLayersModel}. */
export interface ImportOptions {
  /** Seed stored in the Bonsai model (used by dropout in training). Default 0. */
  seed?: number;
  /** Cap on elements of constant params synthesized for Keras layers with center/scale off. */
  maxFillElements?: number;
}

/** Name of the model topology file. */
export const LAYERS_MODEL_FILE = 'model.json';

type Source = { kind: 'weight'; entry: string; map?: (values: Float32Array) => Float32Array; frozen?: boolean } | { kind: 'fill'; value: number | Float32Array; frozen?: boolean };

/**
 * Imports a tfjs LayersModel (Keras topology: Sequential or functional) as a Bonsai {@link Model}.
 * `source` is a `model.json` path or the folder holding it and its weight files (Node; weight
 * paths confined to the folder) or in-memory {@link LayersModelArtifacts}. Node ids are the Keras
 * layer names; layer activations become separate nodes (`${layer}_${op}`); SeparableConv2D
 * becomes `${layer}_depthwise` + a 1x1 conv2d `${layer}`. Layers with `trainable: false` import
 * with non-trainable params (and export back as `trainable: false`).
 *
 * Errors are typed: unsupported layers/options throw {@link InteropError} (code `INTEROP`) naming
 * the layer and class; bad files throw `SerializationError` naming the file (a GraphModel is a
 * `FormatError` saying so: use `importGraphModel` or `importModel`); weights whose shape
 * disagrees with the layer config throw `ShapeError` naming the node.
 */
export async function importLayersModel(source: string | LayersModelArtifacts, options: ImportOptions = {}): Promise<Model> {
  if (typeof source === 'string') {
    const art = await readLayersModelFiles(source);
    return importLayersArtifacts(art, options, art.file);
  }
  return importLayersArtifacts(source, options);
}

/**
 * Where a model lives: `path` is a `model.json` file (any name ending in `.json`) or the folder
 * holding `model.json`. Node only.
 */
export async function resolveModelJson(path: string): Promise<{ dir: string; file: string }> {
  const { dirname, join } = await import('node:path');
  const { stat } = await import('node:fs/promises');
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    // Missing paths are reported by the read below, naming the file.
  }
  return isFile || (path.endsWith('.json') && !path.endsWith('/')) ? { dir: dirname(path), file: path } : { dir: path, file: join(path, LAYERS_MODEL_FILE) };
}

/**
 * Reads model.json and its weight files from `path` (a `model.json` file or its folder); checks
 * each group's file sizes against the manifest. Weight paths resolve inside the model's folder. Node only.
 */
export async function readLayersModelFiles(path: string): Promise<LayersModelArtifacts & { file: string }> {
  const { join } = await import('node:path');
  const { dir, file } = await resolveModelJson(path);
  const json = await readJson(file);
  if (!isObject(json)) throw new SerializationError('not a JSON object', file);
  rejectOtherFormats(json, file);
  const groups = parseManifest(own(json, 'weightsManifest'), file, undefined);
  const parts: Uint8Array[] = [];
  for (const g of groups) {
    let got = 0;
    for (const p of g.paths) {
      const full = await resolveInside(dir, p);
      let buf: ArrayBuffer;
      try {
        buf = await readArrayBuffer(full);
      } catch (e) {
        throw new SerializationError(`cannot read weight file: ${(e as Error).message}`, full);
      }
      got += buf.byteLength;
      parts.push(new Uint8Array(buf));
    }
    if (got !== g.bytes) {
      throw new SerializationError(`weight files hold ${got} bytes, the manifest describes ${g.bytes} bytes for them (truncated or mismatched)`, join(dir, g.paths.join(', ')));
    }
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const weights = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    weights.set(p, o);
    o += p.byteLength;
  }
  return { modelJson: json, weights: weights.buffer, file };
}

/** In-memory import (synchronous); see {@link importLayersModel}. `file` labels SerializationErrors. */
export function importLayersArtifacts(art: LayersModelArtifacts, options: ImportOptions = {}, file = LAYERS_MODEL_FILE): Model {
  if (!isObject(art)) throw new SerializationError('artifacts must be { modelJson, weights }', file);
  let json = art.modelJson;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json) as unknown;
    } catch (e) {
      throw new SerializationError(`not valid JSON: ${(e as Error).message}`, file);
    }
  }
  if (!isObject(json)) throw new SerializationError(`model.json must be an object, got ${show(json)}`, file);
  rejectOtherFormats(json, file);
  const data = toBytes(art.weights, file);
  const manifest = own(json, 'weightsManifest') ?? (own(json, 'weightSpecs') === undefined ? undefined : [{ paths: [], weights: own(json, 'weightSpecs') }]);
  if (manifest === undefined) throw new SerializationError('model.json has no "weightsManifest"', file);
  const groups = parseManifest(manifest, file, data.byteLength);
  if (own(json, 'modelTopology') === undefined) throw new SerializationError('model.json has no "modelTopology"', file);
  const topology = parseTopology(own(json, 'modelTopology'));

  const entries = indexEntries(groups, file);
  const built = buildGraph(topology.layers, topology.inputs, topology.outputs, entries);
  return buildModel(built, groups, entries, data, file, options);
}

/** The tfjs format a parsed model.json holds: a converter GraphModel or a (Keras) LayersModel. */
export function detectFormat(json: unknown): 'graph-model' | 'layers-model' {
  if (!isObject(json)) return 'layers-model';
  if (own(json, 'format') === 'graph-model') return 'graph-model';
  const top = own(json, 'modelTopology');
  return isObject(top) && Array.isArray(own(top, 'node')) ? 'graph-model' : 'layers-model';
}

function rejectOtherFormats(json: unknown, file: string): void {
  if (detectFormat(json) === 'graph-model') {
    throw new FormatError('this is a tfjs GraphModel (format "graph-model", a modelTopology.node list), not a LayersModel: import it with importGraphModel (or importModel, which detects the format)', { format: 'LayersModel', file });
  }
}

function toBytes(w: unknown, file: string): Uint8Array {
  if (w instanceof ArrayBuffer) return new Uint8Array(w);
  if (ArrayBuffer.isView(w)) return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
  throw new SerializationError(`weights must be an ArrayBuffer or a typed array, got ${show(w)}`, file);
}

interface Built {
  graph: Graph;
  sources: Map<string, Source>;
  /** Nodes of Keras layers with `trainable: false`: their params are imported as not trainable. */
  frozen: Set<NodeId>;
  /** Keras weights that belong to a layer but map to no param. */
  skipped: Set<string>;
}

function buildGraph(layers: readonly KerasLayer[], inputNames: readonly string[], outputNames: readonly string[], entries: EntryIndex): Built {
  const nodes: Node[] = [];
  const shapes = new Map<NodeId, Shape>();
  const reserved = new Set(layers.map((l) => l.name));
  const taken = new Set<string>();
  const outputOf = new Map<string, NodeId>();
  const sources = new Map<string, Source>();
  const bound = new Map<string, string>(); // keras weight name -> param name
  const skipped = new Set<string>(); // keras weights a layer reads nothing from (e.g. Normalization's count)
  const frozen = new Set<NodeId>();

  for (const layer of layers) {
    const cfg = new ConfigReader(layer.name, layer.className, layer.config);
    const inputs = layer.inbound.map((n) => outputOf.get(n)!);
    const trainable = cfg.bool('trainable', true);
    const ctx: ImportContext = {
      layer,
      cfg,
      inputs,
      node(op, ins, attrs, id) {
        if (taken.has(id)) throw layerError(layer.name, layer.className, `node id "${id}" is already used`);
        const spec = getOp(op, id);
        let norm: Attrs;
        let shape: Shape;
        try {
          norm = spec.normalizeAttrs(attrs);
          if (spec.arity !== 'variadic' && ins.length !== spec.arity) throw new ShapeError(`${op} expects ${spec.arity} input(s), got ${ins.length}`);
          shape = spec.inferShape(ins.map((i) => shapes.get(i)!), norm);
        } catch (e) {
          if (e instanceof BonsaiError) throw layerError(layer.name, layer.className, e.message);
          throw e;
        }
        taken.add(id);
        if (!trainable) frozen.add(id);
        nodes.push({ id, op, inputs: [...ins], attrs: norm });
        shapes.set(id, shape);
        return id;
      },
      derivedId(suffix) {
        let id = `${layer.name}_${suffix}`;
        for (let k = 1; reserved.has(id) || taken.has(id); k++) id = `${layer.name}_${suffix}_${k}`;
        return id;
      },
      shape: (id) => shapes.get(id)!,
      weight(id, role, kerasName, o = {}) {
        const full = `${layer.name}/${kerasName}`;
        if (bound.has(full)) throw layerError(layer.name, layer.className, `weight "${full}" is bound twice`);
        bound.set(full, paramName(id, role));
        sources.set(paramName(id, role), { kind: 'weight', entry: full, ...o });
      },
      skipWeight(kerasName) {
        skipped.add(`${layer.name}/${kerasName}`);
      },
      weightShape: (kerasName) => findEntry(entries, `${layer.name}/${kerasName}`)?.shape,
      fill(id, role, value, o = {}) {
        sources.set(paramName(id, role), { kind: 'fill', value, ...o });
      },
    };
    const entry = layerEntry(layer.className);
    if (!entry) {
      throw new InteropError(`Layer "${layer.name}" of class "${layer.className}" is not supported; supported: ${LAYER_ENTRIES.map((e) => [e.className, ...(e.aliases ?? [])].join(', ')).join(', ')}`, {
        layer: layer.name,
        className: layer.className,
      });
    }
    if (entry.source && inputs.length > 0) throw layerError(layer.name, layer.className, 'an input layer cannot have inputs');
    if (!entry.source && inputs.length === 0) throw layerError(layer.name, layer.className, 'has no inputs');
    const out = entry.import(ctx);
    outputOf.set(layer.name, out);
  }
  let graph: Graph;
  try {
    graph = new Graph({ inputs: inputNames.map((n) => outputOf.get(n)!), outputs: outputNames.map((n) => outputOf.get(n)!), nodes });
  } catch (e) {
    if (e instanceof BonsaiError) throw e.withContext('LayersModel: the converted graph is invalid');
    throw e;
  }
  return { graph, sources, frozen, skipped };
}

/** Keras weight name variants tfjs accepts: exact, `:0`-suffixed, and TF 2.2's `layer/cell/weight`. */
function weightKeys(name: string): string[] {
  const base = name.endsWith(':0') ? name.slice(0, -2) : name;
  const tokens = base.split('/');
  const keys = [base];
  if (tokens.length > 2) keys.push([...tokens.slice(0, -2), tokens[tokens.length - 1]!].join('/'));
  return keys;
}

interface EntryIndex {
  exact: Map<string, WeightEntry>;
  loose: Map<string, WeightEntry>;
}

function indexEntries(groups: readonly WeightGroup[], file: string): EntryIndex {
  const exact = new Map<string, WeightEntry>();
  const loose = new Map<string, WeightEntry>();
  for (const e of groups.flatMap((g) => g.entries)) {
    if (e.optimizer) continue;
    const [base, ...alts] = weightKeys(e.name);
    if (exact.has(base!)) throw new SerializationError(`weight "${e.name}" appears twice in the manifest`, file);
    exact.set(base!, e);
    for (const a of alts) loose.set(a, e);
  }
  return { exact, loose };
}

function findEntry(index: EntryIndex, name: string): WeightEntry | undefined {
  return index.exact.get(name) ?? index.loose.get(name);
}

function buildModel({ graph, sources, frozen, skipped }: Built, groups: readonly WeightGroup[], index: EntryIndex, data: Uint8Array, file: string, options: ImportOptions): Model {
  // Resolve and check every param before any tensor is created.
  const plan: Array<{ name: string; shape: Shape; trainable: boolean; entry?: WeightEntry; fill?: number | Float32Array; map?: (values: Float32Array) => Float32Array }> = [];
  const used = new Set<WeightEntry>();
  let filled = 0;
  const maxFill = options.maxFillElements ?? 1 << 24;
  for (const node of graph.nodes) {
    for (const [role, param] of Object.entries(graph.paramSpecs(node.id))) {
      const spec = { ...param, trainable: param.trainable && !frozen.has(node.id) };
      const name = paramName(node.id, role);
      const src = sources.get(name);
      if (!src) throw new InteropError(`node "${node.id}" (${node.op}): no Keras weight for param "${role}"`, { nodeId: node.id, op: node.op });
      if (src.kind === 'fill') {
        const size = spec.shape.reduce((a, b) => a * b, 1);
        filled += size;
        if (filled > maxFill) throw new InteropError(`node "${node.id}": constant params exceed ${maxFill} elements`, { nodeId: node.id, op: node.op });
        if (typeof src.value !== 'number' && src.value.length !== size) throw new ShapeError(`node "${node.id}": param "${role}" holds ${size} values, the layer config gives ${src.value.length}`, node.id);
        plan.push({ name, shape: spec.shape, trainable: spec.trainable && !src.frozen, fill: src.value });
        continue;
      }
      const entry = findEntry(index, src.entry);
      if (!entry) throw new SerializationError(`weight "${src.entry}" (param "${name}") is missing from the manifest`, file);
      if (used.has(entry)) throw new SerializationError(`weight "${entry.name}" is claimed by two params`, file);
      if (entry.stored === 'int32') throw new SerializationError(`weight "${entry.name}": dtype "int32" is for counters no param reads; param "${name}" needs float32`, file);
      used.add(entry);
      // A mapped weight may take the param's shape with the same number of values (e.g. [C] -> [1, 1, C]).
      const sameCount = src.map !== undefined && entry.size === spec.shape.reduce((x, y) => x * y, 1);
      if (!sameCount && (entry.shape.length !== spec.shape.length || entry.shape.some((d, i) => d !== spec.shape[i]))) {
        throw new ShapeError(`weight "${entry.name}" has shape [${entry.shape.join(', ')}] in the manifest, the layer config implies [${spec.shape.join(', ')}]`, node.id);
      }
      plan.push({ name, shape: spec.shape, trainable: spec.trainable && !src.frozen, entry, map: src.map });
    }
  }
  for (const e of groups.flatMap((g) => g.entries)) {
    if (!e.optimizer && !used.has(e) && !skipped.has(e.name)) throw new SerializationError(`weight "${e.name}" in the manifest belongs to no layer`, file);
  }
  const params = new Map<string, Param>();
  try {
    for (const p of plan) {
      const values = p.entry ? decodeEntry(data, p.entry) : undefined;
      const t = values ? tf.tensor(p.map ? p.map(values) : values, [...p.shape], 'float32') : typeof p.fill === 'number' ? tf.fill([...p.shape], p.fill) : tf.tensor(p.fill!, [...p.shape], 'float32');
      params.set(p.name, new Param(p.name, t, p.trainable));
      t.dispose();
    }
    return new Model(graph, params, options.seed ?? 0);
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  }
}
