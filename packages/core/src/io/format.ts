import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, SerializationError } from '../errors';
import { Graph, type GraphJSON } from '../ir/graph';
import { Model } from '../model';
import { Param } from '../param';

/** Name of the model topology file. */
export const MODEL_FILE = 'model.json';
/** Name of the weights file written by `save`. */
export const WEIGHTS_FILE = 'weights.bin';
/** Format tag of Bonsai model.json files. */
export const FORMAT = 'bonsai-model';
/** Current format version. */
export const FORMAT_VERSION = 1;

/** One param's entry in model.json (a file may leave out `trainable: true` and `masked: false`: validateModelJson fills them in). */
export interface ParamEntry {
  name: string;
  trainable: boolean;
  masked: boolean;
}

/** The model.json document. Extra top-level keys (e.g. `quantization`) are preserved by packages that add them. */
export interface ModelJSON {
  format: typeof FORMAT;
  formatVersion: number;
  graph: GraphJSON;
  seed: number;
  params: ParamEntry[];
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  [extra: string]: unknown;
}

/** In-memory artifacts: model.json content plus the weight bytes. */
export interface ModelArtifacts {
  json: ModelJSON;
  weights: ArrayBuffer;
}

/** Suffix of mask tensors in the weights file. */
export const MASK_SUFFIX = '#mask';

/** Encodes a model to model.json + one weights buffer (values and masks, float32). */
export async function toArtifacts(model: Model, weightsPath = WEIGHTS_FILE): Promise<ModelArtifacts> {
  const named: Array<{ name: string; tensor: tf.Tensor }> = [];
  const params: ParamEntry[] = [];
  const temporaries: tf.Tensor[] = [];
  for (const p of model.params.values()) {
    named.push({ name: p.name, tensor: p.value });
    if (p.mask) {
      // Masks are 0/1: stored as bool (1 byte per entry) rather than float32.
      const m = tf.cast(p.mask, 'bool');
      temporaries.push(m);
      named.push({ name: p.name + MASK_SUFFIX, tensor: m });
    }
    params.push({ name: p.name, trainable: p.trainable, masked: p.mask !== undefined });
  }
  let encoded: { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] };
  try {
    encoded = await tf.io.encodeWeights(named);
  } finally {
    temporaries.forEach((t) => t.dispose());
  }
  const { data, specs } = encoded;
  const json: ModelJSON = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    graph: model.graph.toJSON(),
    seed: model.seed,
    params,
    weightsManifest: [{ paths: [weightsPath], weights: specs }],
  };
  return { json, weights: data };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, string: NaN, complex64: 8 };

/** Bytes a manifest entry occupies in the weights file (quantized entries use their stored dtype). */
export function entryBytes(e: tf.io.WeightsManifestEntry): number {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const dtype = e.quantization?.dtype ?? e.dtype;
  return n * (BYTES[dtype] ?? NaN);
}

/** Checks the structure of a parsed model.json; throws SerializationError naming the problem. */
export function validateModelJson(raw: unknown, file = MODEL_FILE): ModelJSON {
  const fail = (msg: string): never => {
    throw new SerializationError(msg, file);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('not a JSON object');
  const j = raw as Record<string, unknown>;
  if (j.format !== FORMAT) fail(`"format" is ${JSON.stringify(j.format)}, expected "${FORMAT}"`);
  if (j.formatVersion !== FORMAT_VERSION) fail(`unsupported "formatVersion" ${JSON.stringify(j.formatVersion)}`);
  if (typeof j.graph !== 'object' || j.graph === null) fail('"graph" is missing');
  if (!Array.isArray(j.params)) fail('"params" must be an array');
  const flag = (v: unknown, fallback: boolean): unknown => (v === undefined ? fallback : v);
  const params = (j.params as unknown[]).map((p) => {
    const e = p as Record<string, unknown>;
    const trainable = flag(e?.trainable, true);
    const masked = flag(e?.masked, false);
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof trainable !== 'boolean' || typeof masked !== 'boolean') {
      fail(`malformed param entry ${JSON.stringify(p)?.slice(0, 100)}`);
    }
    if (!/^[^/]+(\/[^/]+)*\/[^/]+$/.test(e.name as string) || (e.name as string).includes('__proto__')) fail(`param name ${JSON.stringify(e.name)} must look like "node/role"`);
    return { name: e.name, trainable, masked };
  });
  if (!Array.isArray(j.weightsManifest) || j.weightsManifest.length === 0) fail('"weightsManifest" must be a non-empty array');
  const names = new Set<string>();
  for (const g of j.weightsManifest as unknown[]) {
    const group = g as Record<string, unknown>;
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !Array.isArray(group.weights)) fail('each weightsManifest group needs "paths" and "weights" arrays');
    if ((group.paths as unknown[]).some((p) => typeof p !== 'string' || p === '')) fail('weight paths must be non-empty strings');
    for (const w of group.weights as unknown[]) {
      const e = w as Record<string, unknown>;
      const shapeOk = Array.isArray(e?.shape) && (e.shape as unknown[]).every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d < 2 ** 31);
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || !shapeOk || typeof e.dtype !== 'string' || !(e.dtype in BYTES) || e.dtype === 'string') {
        fail(`malformed weight entry ${JSON.stringify(w)?.slice(0, 100)}`);
      }
      if (e.name === '' || e.name === '__proto__' || names.has(e.name as string)) fail(`weight name ${JSON.stringify(e.name)} is empty, reserved or duplicated`);
      names.add(e.name as string);
      const q = e.quantization as Record<string, unknown> | undefined;
      if (q !== undefined && (typeof q !== 'object' || q === null || !['uint8', 'uint16', 'float16'].includes(q.dtype as string))) fail(`weight "${String(e.name)}": unsupported quantization ${JSON.stringify(q)}`);
      if (q !== undefined && q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) fail(`weight "${String(e.name)}": quantization needs finite "scale" and "min"`);
    }
  }
  return { ...j, params } as unknown as ModelJSON;
}

/**
 * Throws SerializationError unless the weights buffer holds exactly the bytes the manifest
 * entries describe (catches truncated and padded files before any tensor is made).
 */
export function checkWeightBytes(specs: readonly tf.io.WeightsManifestEntry[], byteLength: number, file = MODEL_FILE): void {
  const expected = specs.reduce((a, e) => a + entryBytes(e), 0);
  if (!Number.isFinite(expected)) throw new SerializationError('weight entry with an unsupported dtype', file);
  if (expected !== byteLength) {
    throw new SerializationError(`weights hold ${byteLength} bytes, the manifest describes ${expected} bytes (truncated or corrupt)`, file);
  }
}

/**
 * Throws SerializationError naming the param unless every param value is stored as float32 (the
 * float kernels' dtype; tfjs-quantized uint8/uint16/float16 entries decode to float32) and every
 * mask as bool or float32.
 */
export function checkParamDtypes(params: readonly ParamEntry[], specs: readonly tf.io.WeightsManifestEntry[], file = MODEL_FILE): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const p of params) {
    const v = byName.get(p.name);
    if (v && v.dtype !== 'float32') throw new SerializationError(`param "${p.name}": the manifest declares dtype ${v.dtype}, the op expects float32`, file);
    const m = byName.get(p.name + MASK_SUFFIX);
    if (m && m.dtype !== 'bool' && m.dtype !== 'float32') throw new SerializationError(`param "${p.name}": its mask has dtype ${m.dtype}, expected bool or float32`, file);
  }
}

/** Index of the first NaN/±Infinity in `n` float32 (or float16 when `half`) values at `offset`, or -1. */
function firstNonFinite(buffer: ArrayBuffer, offset: number, n: number, half: boolean): number {
  if (half) {
    const dv = new DataView(buffer, offset, n * 2);
    for (let i = 0; i < n; i++) if ((dv.getUint16(i * 2, true) & 0x7c00) === 0x7c00) return i;
    return -1;
  }
  if (offset % 4 === 0) {
    const f = new Float32Array(buffer, offset, n);
    for (let i = 0; i < n; i++) if (!Number.isFinite(f[i]!)) return i;
    return -1;
  }
  const dv = new DataView(buffer, offset, n * 4);
  for (let i = 0; i < n; i++) if (!Number.isFinite(dv.getFloat32(i * 4, true))) return i;
  return -1;
}

/**
 * Throws SerializationError naming the weight and index when a float weight holds NaN or
 * ±Infinity (read from the raw bytes, before any tensor is made; uint8/uint16-quantized entries
 * are finite when their scale and min are, which {@link validateModelJson} checks). Call after
 * {@link checkWeightBytes}.
 */
export function checkFinite(specs: readonly tf.io.WeightsManifestEntry[], weights: ArrayBuffer, file = MODEL_FILE): void {
  let offset = 0;
  for (const e of specs) {
    const bytes = entryBytes(e);
    const n = e.shape.reduce((a, b) => a * b, 1);
    const q = e.quantization;
    let bad = -1;
    if (e.dtype === 'float32' && (!q || q.dtype === 'float16')) {
      bad = firstNonFinite(weights, offset, n, q?.dtype === 'float16');
    }
    if (bad >= 0) {
      throw new SerializationError(`param "${e.name}" holds NaN or Infinity (at element ${bad}); pass allowNonFinite: true to load it anyway`, file);
    }
    offset += bytes;
  }
}

/** Builds the graph of a model.json; non-Bonsai failures become a SerializationError naming `file`. */
export function graphFromJson(json: GraphJSON, file = MODEL_FILE): Graph {
  try {
    return new Graph(json);
  } catch (e) {
    if (e instanceof BonsaiError) throw e;
    throw new SerializationError(`invalid graph: ${(e as Error).message}`, file);
  }
}

/** Decodes weights with tfjs `io.decodeWeights` into a Map (no prototype lookups); the caller disposes. */
export function decodeWeightMap(weights: ArrayBuffer, specs: tf.io.WeightsManifestEntry[]): Map<string, tf.Tensor> {
  const decoded = tf.io.decodeWeights(weights, specs);
  return new Map<string, tf.Tensor>(Object.keys(decoded).map((k) => [k, decoded[k]!]));
}

/** Options of {@link fromArtifacts} and core's `load`. */
export interface LoadOptions {
  /** Name used in error messages (default "model.json"). */
  file?: string;
  /** Accept NaN and ±Infinity weights (default false: a SerializationError names the param). */
  allowNonFinite?: boolean;
}

function loadOptions(options: string | LoadOptions | undefined): Required<LoadOptions> {
  const o = typeof options === 'string' ? { file: options } : (options ?? {});
  return { file: o.file ?? MODEL_FILE, allowNonFinite: o.allowNonFinite ?? false };
}

/** Rebuilds a model from artifacts; validates sizes, dtypes, finiteness, names and shapes before making any tensor. */
export function fromArtifacts(art: ModelArtifacts, options?: string | LoadOptions): Model {
  const { file, allowNonFinite } = loadOptions(options);
  if (typeof art !== 'object' || art === null || !(art.weights instanceof ArrayBuffer)) {
    throw new SerializationError('artifacts need a "json" object and a "weights" ArrayBuffer', file);
  }
  const json = validateModelJson(art.json, file);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  checkWeightBytes(specs, art.weights.byteLength, file);
  checkParamDtypes(json.params, specs, file);
  if (!allowNonFinite) checkFinite(specs, art.weights, file);
  const graph = graphFromJson(json.graph, file);
  const tensors = decodeWeightMap(art.weights, specs);
  const params = new Map<string, Param>();
  try {
    for (const entry of json.params) {
      const v = tensors.get(entry.name);
      if (!v) throw new SerializationError(`param "${entry.name}" has no weights in the manifest`, file);
      const p = new Param(entry.name, v, entry.trainable);
      params.set(entry.name, p);
      if (entry.masked) {
        const m = tensors.get(entry.name + MASK_SUFFIX);
        if (!m) throw new SerializationError(`param "${entry.name}" is masked but its mask is missing`, file);
        p.setMask(m);
      }
    }
    return new Model(graph, params, typeof json.seed === 'number' ? json.seed : 0);
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
