import { SerializationError } from '@bonsai/core';
import { isObject, own, show, type JsonObject } from '../json';
import { nodeError } from './errors';
import { shapeDims, type TfNode } from './tf-attrs';

/** One entry of a GraphModel signature: the TF tensor name (`node:0`) and its shape (-1 unknown). */
export interface SignatureTensor {
  readonly key: string;
  readonly tensor: string;
  readonly shape: readonly number[] | undefined;
}

/** A parsed GraphModel model.json: nodes in file order, signature, and the fields export writes back. */
export interface TfGraph {
  readonly nodes: ReadonlyMap<string, TfNode>;
  readonly order: readonly string[];
  /** Signature inputs/outputs (`signature` or `userDefinedMetadata.signature`), if present. */
  readonly inputs: readonly SignatureTensor[] | undefined;
  readonly outputs: readonly SignatureTensor[] | undefined;
  /** model.json fields other than modelTopology and weightsManifest, verbatim. */
  readonly meta: JsonObject;
  /** modelTopology fields other than `node` (versions, library), verbatim. */
  readonly topologyMeta: JsonObject;
}

function signatureList(raw: unknown, file: string, what: string): SignatureTensor[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new SerializationError(`GraphModel signature ${what} must be an object, got ${show(raw)}`, file);
  return Object.keys(raw).map((key) => {
    const t = own(raw, key);
    const name = isObject(t) ? own(t, 'name') : undefined;
    if (typeof name !== 'string' || name === '') throw new SerializationError(`GraphModel signature ${what} "${key}" needs a tensor "name", got ${show(t)}`, file);
    const ts = isObject(t) ? own(t, 'tensorShape') : undefined;
    const shape = isObject(ts)
      ? shapeDims(ts, () => {
          throw new SerializationError(`GraphModel signature ${what} "${key}" has a malformed tensorShape ${show(ts)}`, file);
        })
      : undefined;
    return { key, tensor: name, shape };
  });
}

/** Validates the model.json of a GraphModel (`modelTopology.node`, signature) without reading weights. */
export function parseGraphTopology(json: JsonObject, file: string): TfGraph {
  const topo = own(json, 'modelTopology');
  if (!isObject(topo)) throw new SerializationError(`GraphModel "modelTopology" must be an object, got ${show(topo)}`, file);
  const rawNodes = own(topo, 'node');
  if (!Array.isArray(rawNodes) || rawNodes.length === 0) throw new SerializationError(`GraphModel "modelTopology.node" must be a non-empty array, got ${show(rawNodes)}`, file);
  const nodes = new Map<string, TfNode>();
  const order: string[] = [];
  for (const raw of rawNodes) {
    if (!isObject(raw)) throw new SerializationError(`GraphModel node ${show(raw)} is not an object`, file);
    const name = own(raw, 'name');
    const op = own(raw, 'op');
    if (typeof name !== 'string' || name === '' || typeof op !== 'string' || op === '') {
      throw new SerializationError(`GraphModel node needs string "name" and "op", got ${show(raw)}`, file);
    }
    if (nodes.has(name)) throw nodeError(name, op, 'the node name appears twice');
    const input = own(raw, 'input') ?? [];
    if (!Array.isArray(input) || input.some((i) => typeof i !== 'string' || i === '')) throw nodeError(name, op, `"input" must be a list of tensor names, got ${show(input)}`);
    const attr = own(raw, 'attr') ?? {};
    if (!isObject(attr)) throw nodeError(name, op, `"attr" must be an object, got ${show(attr)}`);
    nodes.set(name, { name, op, input: (input as string[]).filter((i) => !i.startsWith('^')), attr });
    order.push(name);
  }
  const udm = own(json, 'userDefinedMetadata');
  const sig = own(json, 'signature') ?? (isObject(udm) ? own(udm, 'signature') : undefined);
  if (sig !== undefined && sig !== null && !isObject(sig)) throw new SerializationError(`GraphModel "signature" must be an object, got ${show(sig)}`, file);
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (k !== 'modelTopology' && k !== 'weightsManifest') meta[k] = v;
  const topologyMeta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(topo)) if (k !== 'node') topologyMeta[k] = v;
  return {
    nodes,
    order,
    inputs: isObject(sig) ? signatureList(own(sig, 'inputs'), file, 'inputs') : undefined,
    outputs: isObject(sig) ? signatureList(own(sig, 'outputs'), file, 'outputs') : undefined,
    meta,
    topologyMeta,
  };
}

/** Splits a tensor reference `name:k` into node name and output index (0 when absent). */
export function tensorRef(ref: string): { node: string; index: number } {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { node: m[1]!, index: Number(m[2]) } : { node: ref, index: 0 };
}
