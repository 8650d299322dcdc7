import { InteropError } from './errors';
import { isObject, own, show, type JsonObject } from './json';
import { layerEntry } from './layers/index';

/** Whether Keras class `className` is a graph input (the layer tables' `source` entry: InputLayer). */
const isInput = (className: string): boolean => layerEntry(className)?.source === true;

/** One Keras layer of a topology, with the names of the layers it reads (in order). */
export interface KerasLayer {
  readonly name: string;
  readonly className: string;
  readonly config: JsonObject;
  readonly inbound: readonly string[];
}

/** A Keras topology flattened to layers in topological order. */
export interface KerasTopology {
  readonly kind: 'Sequential' | 'Functional';
  readonly layers: readonly KerasLayer[];
  /** Names of the input layers (InputLayer, or a synthesized `${first}_input` for Sequential). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** Name given to the implicit input of a Sequential model whose first layer carries the shape. */
export const SEQUENTIAL_INPUT_SUFFIX = '_input';

const fail = (msg: string): never => {
  throw new InteropError(msg);
};

/**
 * Reads a Keras `modelTopology` (tfjs-layers or Keras 2/3 JSON, optionally wrapped in
 * `model_config`) into layers in topological order. Shared layers (called more than once),
 * unknown inbound names and cycles are InteropErrors.
 */
export function parseTopology(raw: unknown): KerasTopology {
  if (!isObject(raw)) return fail(`"modelTopology" must be an object, got ${show(raw)}`);
  const top = isObject(own(raw, 'model_config')) ? (own(raw, 'model_config') as JsonObject) : raw;
  const cls = own(top, 'class_name');
  const config = own(top, 'config');
  if (cls === 'Sequential') return sequential(config);
  if (cls === 'Model' || cls === 'Functional') return functional(config);
  return fail(`model class ${show(cls)} is not supported: expected "Sequential", "Model" or "Functional"`);
}

function layerHeader(l: unknown, i: number): { name: string; className: string; config: JsonObject } {
  if (!isObject(l)) return fail(`layer #${i} is not an object: ${show(l)}`);
  const className = own(l, 'class_name');
  const config = own(l, 'config');
  if (typeof className !== 'string' || className === '') return fail(`layer #${i} has no "class_name"`);
  if (!isObject(config)) return fail(`layer #${i} (${className}) has no "config" object`);
  const name = own(l, 'name') ?? own(config, 'name');
  if (typeof name !== 'string' || name === '') return fail(`layer #${i} (${className}) has no name`);
  return { name, className, config };
}

function sequential(config: unknown): KerasTopology {
  const list = Array.isArray(config) ? config : isObject(config) ? own(config, 'layers') : undefined;
  if (!Array.isArray(list) || list.length === 0) return fail('Sequential model needs a non-empty "layers" list');
  const layers: KerasLayer[] = [];
  const names = new Set<string>();
  let prev: string | undefined;
  list.forEach((l, i) => {
    const h = layerHeader(l, i);
    if (i === 0 && !isInput(h.className)) {
      const input = h.name + SEQUENTIAL_INPUT_SUFFIX;
      const shape = own(h.config, 'batch_input_shape') ?? own(h.config, 'batch_shape');
      if (shape === undefined) {
        const s = own(h.config, 'input_shape');
        if (!Array.isArray(s)) fail(`Sequential model: the first layer "${h.name}" (${h.className}) needs "batch_input_shape"`);
        layers.push({ name: input, className: 'InputLayer', config: { batch_input_shape: [null, ...(s as unknown[])], name: input }, inbound: [] });
      } else {
        layers.push({ name: input, className: 'InputLayer', config: { batch_input_shape: shape, name: input }, inbound: [] });
      }
      names.add(input);
      prev = input;
    }
    if (names.has(h.name)) fail(`duplicate layer name "${h.name}"`);
    names.add(h.name);
    if (isInput(h.className) && i > 0) fail(`InputLayer "${h.name}" must come first in a Sequential model`);
    layers.push({ ...h, inbound: prev === undefined ? [] : [prev] });
    prev = h.name;
  });
  return { kind: 'Sequential', layers, inputs: [layers[0]!.name], outputs: [prev!] };
}

function historyName(ref: unknown, layer: string): string {
  // Keras 2 / tfjs: [name, nodeIndex, tensorIndex, kwargs]; Keras 3: a __keras_tensor__ object.
  let tuple: unknown = ref;
  if (isObject(ref)) {
    const cfg = own(ref, 'config');
    tuple = isObject(cfg) ? own(cfg, 'keras_history') : undefined;
  }
  if (!Array.isArray(tuple) || typeof tuple[0] !== 'string') return fail(`layer "${layer}": malformed inbound reference ${show(ref)}`);
  const [name, nodeIndex = 0, tensorIndex = 0] = tuple as [string, unknown, unknown];
  if (nodeIndex !== 0 || tensorIndex !== 0) {
    throw new InteropError(`layer "${layer}" reads output ${show(nodeIndex)}/${show(tensorIndex)} of "${name}": shared layers and multi-output layers are not supported`, { layer });
  }
  return name;
}

function inboundOf(l: JsonObject, name: string): string[] {
  const nodes = own(l, 'inbound_nodes') ?? [];
  if (!Array.isArray(nodes)) return fail(`layer "${name}": "inbound_nodes" must be a list`);
  if (nodes.length === 0) return [];
  if (nodes.length > 1) throw new InteropError(`layer "${name}" is called ${nodes.length} times: shared layers are not supported`, { layer: name });
  const node = nodes[0];
  if (Array.isArray(node)) return node.map((ref) => historyName(ref, name));
  if (isObject(node)) {
    const args = own(node, 'args');
    if (!Array.isArray(args)) return fail(`layer "${name}": malformed inbound node ${show(node)}`);
    const refs = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    return refs.map((ref) => historyName(ref, name));
  }
  return fail(`layer "${name}": malformed inbound node ${show(node)}`);
}

function endpoints(raw: unknown, key: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail(`functional model needs a non-empty "${key}" list`);
  // A single endpoint may be written flat: ["name", 0, 0].
  const list = typeof raw[0] === 'string' ? [raw] : raw;
  return list.map((ref) => historyName(ref, key));
}

function functional(config: unknown): KerasTopology {
  if (!isObject(config)) return fail('functional model needs a "config" object');
  const list = own(config, 'layers');
  if (!Array.isArray(list) || list.length === 0) return fail('functional model needs a non-empty "layers" list');
  const byName = new Map<string, KerasLayer>();
  list.forEach((l, i) => {
    const h = layerHeader(l, i);
    if (byName.has(h.name)) fail(`duplicate layer name "${h.name}"`);
    byName.set(h.name, { ...h, inbound: inboundOf(l as JsonObject, h.name) });
  });
  for (const l of byName.values()) {
    for (const i of l.inbound) if (!byName.has(i)) throw new InteropError(`layer "${l.name}" (${l.className}) reads unknown layer "${i}"`, { layer: l.name, className: l.className });
  }
  const inputs = endpoints(own(config, 'input_layers'), 'input_layers');
  const outputs = endpoints(own(config, 'output_layers'), 'output_layers');
  for (const n of [...inputs, ...outputs]) if (!byName.has(n)) fail(`model endpoint "${n}" is not a layer`);
  for (const n of inputs) if (!isInput(byName.get(n)!.className)) fail(`model input "${n}" is not an InputLayer`);
  return { kind: 'Functional', layers: topoSort(byName), inputs, outputs };
}

/** Kahn's algorithm in declaration order; throws an InteropError naming a layer on a cycle. */
function topoSort(byName: ReadonlyMap<string, KerasLayer>): KerasLayer[] {
  const pending = new Map<string, number>();
  const users = new Map<string, string[]>();
  for (const l of byName.values()) {
    pending.set(l.name, new Set(l.inbound).size);
    for (const i of new Set(l.inbound)) {
      const u = users.get(i) ?? [];
      u.push(l.name);
      users.set(i, u);
    }
  }
  const ready = [...byName.values()].filter((l) => pending.get(l.name) === 0).map((l) => l.name);
  const out: KerasLayer[] = [];
  while (ready.length > 0) {
    const name = ready.shift()!;
    out.push(byName.get(name)!);
    for (const u of users.get(name) ?? []) {
      const left = pending.get(u)! - 1;
      pending.set(u, left);
      if (left === 0) ready.push(u);
    }
  }
  if (out.length !== byName.size) {
    const stuck = [...byName.keys()].find((n) => pending.get(n)! > 0)!;
    throw new InteropError(`layer "${stuck}" is part of a cycle in "inbound_nodes"`, { layer: stuck });
  }
  return out;
}
