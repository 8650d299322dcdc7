import * as tf from '@tensorflow/tfjs-core';
import {
  BonsaiError, ConfigError, FORMAT, type Model, FORMAT_VERSION, MODEL_FILE, Param, SerializationError, WEIGHTS_FILE, checkFinite, checkParamDtypes,
  checkWeightBytes, compactGraphJson, decodeWeightMap, graphFromJson, readModelFiles, type Graph, regularFileSize, resolveInside, validateModelJson, writeFilesAtomic,
  readFileChecked, type LoadOptions, type ModelJSON, type NodeId, type ParamEntry,
} from '@bonsai/core';
import { deflate, gzipSize, inflate } from './compress';
import { isFloat16Exact } from './float16';
import { encodeFloat16 } from './tfjs-export';
import { decodeEntropy, ENTROPY_ENCODINGS, encodeEntropy, type EntropyEncoding } from './entropy-coding';
import { CODEBOOK_LAYOUT, decodeCodebook, encodeCodebook } from './codebook';
import { ByteReader, ByteWriter, decodeValues, encodeValues, type WeightEncoding } from './packing';
import type { QParams } from './qparams';
import { paramFromQuantized, QuantizedModel, type QuantMode, type QuantizedTensor } from './quantized-model';

/** Name of the quantized (integer) weights file. */
export const QUANTIZED_WEIGHTS_FILE = 'weights.q.bin';
/** Format tag of the `quantization` section of model.json. */
export const QUANTIZATION_FORMAT = 'bonsai-int';

/** One quantized weight in model.json: where its scales, zero points and integers are. */
export interface QuantizedWeightEntry {
  name: string;
  shape: number[];
  bits: number;
  signed: boolean;
  symmetric: boolean;
  /** Channel axis, null for per-tensor. */
  axis: number | null;
  qmin: number;
  qmax: number;
  channels: number;
  /** Fixed-width layout (packing.ts) or, in version 2 files, an entropy-coded one (entropy-coding.ts). */
  encoding: WeightEncoding | EntropyEncoding;
  /** Elements whose integer is not the zero point. */
  nnz: number;
  /** Byte offset and length of the segment in the (inflated) quantized weights. */
  offset: number;
  length: number;
}

/** One float param stored in the codebook layout (codebook.ts) in model.json (version 3 files). */
export interface CodebookWeightEntry {
  name: string;
  /** The param's shape; files leave it out (the graph's op gives it), a reader checks it where present. */
  shape?: number[];
  /** Always {@link CODEBOOK_LAYOUT} where present (files leave it out). */
  encoding?: typeof CODEBOOK_LAYOUT;
  /** Distinct nonzero values (the codebook's size). */
  centroids: number;
  /** Nonzero elements. */
  nnz: number;
  /**
   * Byte offset and length of the segment in the (inflated) quantized weights. A file leaves the
   * offset out where the segment starts where the previous codebook segment ends (0 for the first).
   */
  offset?: number;
  length: number;
}

/** Activation quantization parameters of one node in model.json. */
export interface ActivationEntry {
  node: NodeId;
  scale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
  bits: number;
  signed: boolean;
  symmetric: boolean;
}

/**
 * The `quantization` section Bonsai adds to core's model.json. Segment layout per weight:
 * float32 scales [channels], int16 zero points [channels] (affine only), then the integers as
 * `encoding` says (see packing.ts and entropy-coding.ts). The whole file is zlib-deflated when
 * `compression` is deflate. Version 2 files may hold entropy-coded (Huffman) layouts; version 3
 * files may also hold float params in the codebook layout (`codebooks`); a file without either
 * is written as version 1.
 */
export interface QuantizationJSON {
  format: typeof QUANTIZATION_FORMAT;
  version: 1 | 2 | 3;
  mode: QuantMode;
  path: string;
  compression: 'deflate' | 'none';
  /** Inflated size of the quantized weights. */
  byteLength: number;
  weights: QuantizedWeightEntry[];
  activations: ActivationEntry[];
  /** Float params in the codebook layout (version 3 only; absent when there are none). */
  codebooks?: CodebookWeightEntry[];
}

/** model.json, float weights (weights.bin) and integer weights (weights.q.bin) in memory. */
export interface QuantizedArtifacts {
  json: ModelJSON & { quantization: QuantizationJSON };
  weights: ArrayBuffer;
  quantized: Uint8Array;
}

/** What {@link saveQuantized} wrote: total bytes, bytes per file, and the sum of the files' gzip sizes. */
export interface QuantizedSizes {
  bytes: number;
  files: Record<string, number>;
  gzipBytes: number;
}

/** Options of {@link saveQuantized} / {@link toQuantizedArtifacts}. */
export interface SaveQuantizedOptions {
  /** zlib-deflate the integer weights (default true; with `entropyCoding`, only when that makes them smaller). */
  compress?: boolean;
  /**
   * Also try canonical Huffman layouts per weight (all values, bitmap + nonzero values, gaps +
   * nonzero values) and keep whichever layout is smallest (default false; writes a version 2 file).
   */
  entropyCoding?: boolean;
  /**
   * Store each float param with at most 4096 distinct nonzero values (pruned and clustered
   * weights, e.g. from `clusterWeights`) in the codebook layout: its distinct values (float16 when
   * exact, else float32), the Huffman-coded gaps between nonzeros and the Huffman-coded value
   * indices, in weights.q.bin (Deep Compression's layout); kept only where it is smaller than the
   * float layout. Lossless. Default false; writes a version 3 file when used.
   */
  codebook?: boolean;
  /**
   * Store each float param whose values are all exactly float16 numbers (e.g. `quantizeMixed`'s
   * float16 layers) as 2-byte float16 in weights.bin, a tfjs manifest `quantization: { dtype:
   * 'float16' }` entry that the loader (and stock `tf.io.decodeWeights`) decodes (default true;
   * lossless: other params stay float32).
   */
  float16?: boolean;
  /**
   * Written as model.json's `userDefinedMetadata` (as tfjs model.json files carry it), e.g.
   * `{ bonsai: { preprocess: 'imagenet' } }`; ignored by the loader. Default: none.
   */
  userDefinedMetadata?: Record<string, unknown>;
}

/** The float params as one weights buffer: float16 where that is lossless and allowed, float32 otherwise. */
function encodeFloatParams(named: ReadonlyArray<{ name: string; tensor: tf.Tensor }>, float16: boolean): { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] } {
  const chunks: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const { name, tensor } of named) {
    const values = Float32Array.from(tensor.dataSync() as Float32Array);
    const shape = [...tensor.shape];
    if (float16 && values.length > 0 && isFloat16Exact(values)) {
      chunks.push(encodeFloat16(values));
      specs.push({ name, shape, dtype: 'float32', quantization: { dtype: 'float16' } });
    } else {
      chunks.push(new Uint8Array(values.buffer));
      specs.push({ name, shape, dtype: 'float32' });
    }
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    data.set(c, offset);
    offset += c.length;
  }
  return { data: data.buffer, specs };
}

/** A float param's codebook layout (undefined when it has too many distinct values) and the bytes of its float layout (float16 where lossless and allowed, else float32). */
function codebookSegment(p: Param, float16: boolean): { coded?: { bytes: Uint8Array; nnz: number; centroids: number }; floatBytes: number } {
  const values = Float32Array.from(p.value.dataSync() as Float32Array);
  const coded = encodeCodebook(values, { shape: p.shape });
  return { ...(coded ? { coded } : {}), floatBytes: (float16 && values.length > 0 && isFloat16Exact(values) ? 2 : 4) * values.length };
}

/**
 * Bytes a file saves when it has no float weights at all: weights.bin and its manifest entries
 * (about what gzip leaves of them). In the codebook layout, a few tiny params that are a little
 * smaller as float16 are coded anyway when that lets the file drop weights.bin.
 */
const FLOAT_FILE_OVERHEAD = 64;

/** Which float params go in the codebook layout: each where smaller, or all where every one can be and the extra bytes stay under {@link FLOAT_FILE_OVERHEAD}. */
function codebookPlan(floats: readonly Param[], float16: boolean): Map<string, { bytes: Uint8Array; nnz: number; centroids: number }> {
  const segments = floats.map((p) => ({ p, ...codebookSegment(p, float16) }));
  const extra = segments.reduce((a, s) => a + (s.coded ? Math.max(0, s.coded.bytes.length - s.floatBytes) : Infinity), 0);
  const all = segments.length > 0 && extra <= FLOAT_FILE_OVERHEAD;
  return new Map(segments.filter((s) => s.coded && (all || s.coded.bytes.length < s.floatBytes)).map((s) => [s.p.name, s.coded!]));
}

/**
 * Encodes a quantized model: float params as float32 (float16 where lossless; the codebook
 * layout with `codebook`), integers packed (sparse where smaller). A plain float `Model` is
 * written as a dynamic quantized model without integer weights.
 */
export async function toQuantizedArtifacts(model: QuantizedModel | Model, options: SaveQuantizedOptions = {}): Promise<QuantizedArtifacts> {
  const named: Array<{ name: string; tensor: tf.Tensor }> = [];
  // As written: default flags (trainable, unmasked) left out.
  const params: Array<Pick<ParamEntry, 'name'> & Partial<ParamEntry>> = [];
  const w = new ByteWriter();
  const entries: QuantizedWeightEntry[] = [];
  const codebooks: CodebookWeightEntry[] = [];
  let codebookEnd = 0;
  const quantizedWeights = model instanceof QuantizedModel ? model.quantizedWeights : new Map<string, QuantizedTensor>();
  const plan = options.codebook ? codebookPlan([...model.params.values()].filter((p) => !quantizedWeights.has(p.name)), options.float16 ?? true) : new Map<string, never>();
  for (const p of model.params.values()) {
    params.push(p.trainable ? { name: p.name } : { name: p.name, trainable: false });
    const q = quantizedWeights.get(p.name);
    if (!q) {
      const coded = plan.get(p.name);
      if (coded) {
        const offset = w.length;
        w.bytes(coded.bytes);
        // The offset is left out where the segment follows the previous codebook segment (the reader derives it).
        // Shape and layout name are left out: the graph gives the shape, `codebooks` the layout.
        codebooks.push({ name: p.name, centroids: coded.centroids, nnz: coded.nnz, ...(offset === codebookEnd ? {} : { offset }), length: coded.bytes.length });
        codebookEnd = offset + coded.bytes.length;
      } else {
        named.push({ name: p.name, tensor: p.value });
      }
      continue;
    }
    if (q.shape.length !== p.shape.length || q.shape.some((d, i) => d !== p.shape[i])) {
      throw new ConfigError(
        `param "${p.name}" has shape [${p.shape.join(', ')}] but its quantized integers have shape [${q.shape.join(', ')}]: the model was changed (e.g. pruned) after quantization. Prune the float model, then quantize it.`,
        { param: p.name },
      );
    }
    const qp = q.qparams;
    const offset = w.length;
    w.float32s(qp.scale);
    if (!qp.symmetric) w.int16s(qp.zeroPoint);
    const channels = qp.scale.length;
    const inner = qp.axis === undefined ? 1 : q.shape.slice(qp.axis + 1).reduce((a, b) => a * b, 1);
    const zp = (i: number): number => (channels === 1 ? qp.zeroPoint[0]! : qp.zeroPoint[Math.floor(i / inner) % channels]!);
    const isZero = (i: number): boolean => q.values[i] === zp(i);
    const fixed = new ByteWriter();
    let { encoding, nnz }: { encoding: WeightEncoding | EntropyEncoding; nnz: number } = encodeValues(q.values, qp.qmin, qp.bits, isZero, fixed);
    let bytes = fixed.result();
    if (options.entropyCoding) {
      const coded = encodeEntropy(q.values, qp.qmin, isZero, { shape: q.shape, bits: qp.bits });
      if (coded.bytes.length < bytes.length) ({ encoding, nnz, bytes } = coded);
    }
    w.bytes(bytes);
    entries.push({
      name: p.name, shape: [...q.shape], bits: qp.bits, signed: qp.signed, symmetric: qp.symmetric, axis: qp.axis ?? null,
      qmin: qp.qmin, qmax: qp.qmax, channels, encoding, nnz, offset, length: w.length - offset,
    });
  }
  const { data, specs } = encodeFloatParams(named, options.float16 ?? true);
  const raw = w.result();
  // Entropy-coded bytes rarely deflate smaller; keep them raw when deflate does not help.
  const deflated = (options.compress ?? true) ? await deflate(raw) : undefined;
  const compress = deflated !== undefined && ((!options.entropyCoding && !options.codebook) || deflated.length < raw.length);
  const entropyCoded = entries.some((e) => (ENTROPY_ENCODINGS as readonly string[]).includes(e.encoding));
  const activationQParams = model instanceof QuantizedModel ? model.activationQParams : new Map<NodeId, QParams>();
  for (const [node, qp] of activationQParams) {
    if (qp.scale.length !== 1) throw new ConfigError(`activation of "${node}" has ${qp.scale.length} per-channel scales: the int8 format stores per-tensor activation parameters only`, { nodeId: node });
  }
  const activations: ActivationEntry[] = [...activationQParams].map(([node, qp]) => ({
    node, scale: qp.scale[0]!, zeroPoint: qp.zeroPoint[0]!, qmin: qp.qmin, qmax: qp.qmax, bits: qp.bits, signed: qp.signed, symmetric: qp.symmetric,
  }));
  const quantization: QuantizationJSON = {
    format: QUANTIZATION_FORMAT, version: codebooks.length > 0 ? 3 : entropyCoded ? 2 : 1, mode: model instanceof QuantizedModel ? model.mode : 'dynamic',
    path: QUANTIZED_WEIGHTS_FILE, compression: compress ? 'deflate' : 'none', byteLength: raw.length, weights: entries, activations,
    ...(codebooks.length > 0 ? { codebooks } : {}),
  };
  const json = {
    format: FORMAT, formatVersion: FORMAT_VERSION, graph: compactGraphJson(model.graph), seed: model.seed, params,
    // No float weights: no weights.bin (core's reader takes a group without paths as 0 bytes).
    weightsManifest: [{ paths: specs.length > 0 ? [WEIGHTS_FILE] : [], weights: specs }], quantization,
    ...(options.userDefinedMetadata ? { userDefinedMetadata: options.userDefinedMetadata } : {}),
  } as ModelJSON & { quantization: QuantizationJSON };
  return { json, weights: data, quantized: compress && deflated ? deflated : raw };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Most integer elements a quantized model may declare (their float32 values must fit in 2 GiB). */
const MAX_QUANTIZED_ELEMENTS = 2 ** 29 - 1;

/** zlib's deflateBound: the largest deflate stream an honest writer makes for `n` input bytes. */
const deflateBound = (n: number): number => n + (n >>> 12) + (n >>> 14) + (n >>> 25) + 13 + 64;

function checkQuantization(raw: unknown, file: string): QuantizationJSON {
  const fail = (msg: string): never => {
    throw new SerializationError(`quantization: ${msg}`, file);
  };
  if (typeof raw !== 'object' || raw === null) return fail('section is missing (not a quantized model; use core load())');
  const q = raw as Record<string, unknown>;
  if (q.format !== QUANTIZATION_FORMAT || (q.version !== 1 && q.version !== 2 && q.version !== 3)) fail(`unsupported format ${JSON.stringify(q.format)} version ${JSON.stringify(q.version)}`);
  if (!['dynamic', 'static', 'qat'].includes(q.mode as string)) fail(`unknown mode ${JSON.stringify(q.mode)}`);
  if (typeof q.path !== 'string' || q.path === '') fail('"path" must be a non-empty string');
  if (q.compression !== 'deflate' && q.compression !== 'none') fail(`unknown compression ${JSON.stringify(q.compression)}`);
  if (!isInt(q.byteLength) || q.byteLength < 0) fail('"byteLength" must be a non-negative integer');
  if (!Array.isArray(q.weights) || !Array.isArray(q.activations)) fail('"weights" and "activations" must be arrays');
  const encodings: readonly string[] = q.version !== 1 ? ['dense', 'bitmap', 'delta', ...ENTROPY_ENCODINGS] : ['dense', 'bitmap', 'delta'];
  let elements = 0;
  for (const e of q.weights as Array<Record<string, unknown>>) {
    const name = typeof e?.name === 'string' ? e.name : '?';
    const ok = typeof e === 'object' && e !== null && typeof e.name === 'string' && Array.isArray(e.shape) && (e.shape as unknown[]).every((d) => isInt(d) && d >= 0)
      && isInt(e.bits) && e.bits >= 2 && e.bits <= 8 && typeof e.signed === 'boolean' && typeof e.symmetric === 'boolean'
      && (e.axis === null || (isInt(e.axis) && e.axis < (e.shape as unknown[]).length)) && isInt(e.qmin) && isInt(e.qmax) && isInt(e.channels) && e.channels >= 1
      && encodings.includes(e.encoding as string) && isInt(e.nnz) && isInt(e.offset) && isInt(e.length) && e.offset >= 0 && e.length >= 0;
    if (!ok) fail(`malformed weight entry "${name}"`);
    const bits = e.bits as number;
    const [lo, hi] = e.signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
    if ((e.qmin as number) < lo || (e.qmax as number) > hi || (e.qmin as number) >= (e.qmax as number)) {
      fail(`weight "${name}": integer range [${String(e.qmin)}, ${String(e.qmax)}] does not fit ${e.signed ? 'signed' : 'unsigned'} ${bits}-bit integers`);
    }
    const size = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if ((e.nnz as number) > size) fail(`weight "${name}": ${String(e.nnz)} nonzero values in a weight of ${size}`);
    elements += size;
    if (elements > MAX_QUANTIZED_ELEMENTS) fail(`the quantized weights declare more than ${MAX_QUANTIZED_ELEMENTS} elements`);
    const expectChannels = e.axis === null ? 1 : (e.shape as number[])[e.axis as number];
    if (expectChannels !== e.channels) fail(`weight "${name}": ${String(e.channels)} channels do not fit shape [${(e.shape as number[]).join(', ')}] on axis ${String(e.axis)}`);
  }
  if (q.codebooks !== undefined && (q.version !== 3 || !Array.isArray(q.codebooks))) fail('"codebooks" must be an array, in version 3 files only');
  const seen = new Set((q.weights as Array<{ name: string }>).map((e) => e.name));
  for (const e of (q.codebooks ?? []) as Array<Record<string, unknown>>) {
    const name = typeof e?.name === 'string' ? e.name : '?';
    const ok = typeof e === 'object' && e !== null && typeof e.name === 'string' && (e.shape === undefined || (Array.isArray(e.shape) && (e.shape as unknown[]).every((d) => isInt(d) && d >= 0)))
      && (e.encoding === undefined || e.encoding === CODEBOOK_LAYOUT) && isInt(e.centroids) && e.centroids >= 0 && isInt(e.nnz) && (e.offset === undefined || (isInt(e.offset) && e.offset >= 0)) && isInt(e.length) && e.length >= 0;
    if (!ok) fail(`malformed codebook entry "${name}"`);
    if (seen.has(name)) fail(`param "${name}" is stored twice`);
    seen.add(name);
    if ((e.centroids as number) > (e.nnz as number)) fail(`codebook param "${name}": ${String(e.centroids)} centroids for ${String(e.nnz)} nonzero values`);
    // Its size is checked once the graph gives its shape (checkAgainstGraph).
  }
  for (const a of q.activations as Array<Record<string, unknown>>) {
    const ok = typeof a === 'object' && a !== null && typeof a.node === 'string' && typeof a.scale === 'number' && a.scale > 0 && Number.isFinite(a.scale)
      && isInt(a.zeroPoint) && isInt(a.qmin) && isInt(a.qmax) && isInt(a.bits) && typeof a.signed === 'boolean' && typeof a.symmetric === 'boolean';
    if (!ok) fail(`malformed activation entry ${JSON.stringify(a)?.slice(0, 100)}`);
  }
  return q as unknown as QuantizationJSON;
}

/**
 * Each quantized weight and codebook param must be a declared param of the graph, with the shape
 * its op expects (checked before decoding); returns the codebook entries with their shapes from
 * the graph, and checks every element count against {@link MAX_QUANTIZED_ELEMENTS}.
 */
function checkAgainstGraph(graph: Graph, params: readonly ParamEntry[], weights: readonly QuantizedWeightEntry[], codebooks: readonly CodebookWeightEntry[], file: string): Array<CodebookWeightEntry & { shape: number[] }> {
  const declared = new Set(params.map((p) => p.name));
  let elements = 0;
  const shapeOf = (e: { name: string; shape?: number[] }): number[] => {
    const cut = e.name.lastIndexOf('/');
    const node = e.name.slice(0, cut);
    const specs = declared.has(e.name) && graph.nodes.some((n) => n.id === node) ? graph.paramSpecs(node) : {};
    const role = e.name.slice(cut + 1);
    const spec = Object.hasOwn(specs, role) ? specs[role] : undefined;
    if (!spec) throw new SerializationError(`quantization: weight "${e.name}" is not a param of the model`, file);
    if (e.shape !== undefined && (spec.shape.length !== e.shape.length || spec.shape.some((d, i) => d !== e.shape![i]))) {
      throw new SerializationError(`quantization: weight "${e.name}" has shape [${e.shape.join(', ')}], the op expects [${spec.shape.join(', ')}]`, file);
    }
    elements += spec.shape.reduce((a, b) => a * b, 1);
    if (elements > MAX_QUANTIZED_ELEMENTS) throw new SerializationError(`quantization: the quantized weights declare more than ${MAX_QUANTIZED_ELEMENTS} elements`, file);
    return [...spec.shape];
  };
  for (const e of weights) shapeOf(e);
  return codebooks.map((e) => ({ ...e, shape: shapeOf(e) }));
}

function decodeWeight(bytes: Uint8Array, e: QuantizedWeightEntry, file: string): QuantizedTensor {
  const r = new ByteReader(bytes, e.offset + e.length, e.offset, file);
  const scale = r.float32s(e.channels);
  if (scale.some((s) => !(s > 0) || !Number.isFinite(s))) throw new SerializationError(`weight "${e.name}": scales must be positive and finite`, file);
  const zeroPoint = e.symmetric ? new Int32Array(e.channels).fill(e.signed ? 0 : 2 ** (e.bits - 1)) : r.int16s(e.channels);
  const n = e.shape.reduce((a, b) => a * b, 1);
  const inner = e.axis === null ? 1 : e.shape.slice(e.axis + 1).reduce((a, b) => a * b, 1);
  const zp = (i: number): number => (e.channels === 1 ? zeroPoint[0]! : zeroPoint[Math.floor(i / inner) % e.channels]!);
  const values = (ENTROPY_ENCODINGS as readonly string[]).includes(e.encoding)
    ? decodeEntropy(r, e.encoding as EntropyEncoding, n, e.nnz, e.qmin, e.bits, zp, file, e.shape)
    : decodeValues(r, e.encoding as WeightEncoding, n, e.nnz, e.qmin, e.bits, zp, file);
  if (r.pos !== e.offset + e.length) throw new SerializationError(`weight "${e.name}": segment has ${e.offset + e.length - r.pos} unread bytes`, file);
  const qparams: QParams = { scale, zeroPoint, axis: e.axis ?? undefined, qmin: e.qmin, qmax: e.qmax, bits: e.bits, signed: e.signed, symmetric: e.symmetric };
  return { shape: e.shape, values, qparams };
}

/** Options of {@link fromQuantizedArtifacts} and {@link loadQuantized}. */
export type LoadQuantizedOptions = LoadOptions;

/**
 * Rebuilds a quantized model from artifacts; every inconsistency is a SerializationError naming
 * `file`. Validates before trusting: float weight sizes, dtypes and finiteness (unless
 * `allowNonFinite`), integer ranges, and the compressed integers are inflated with an output
 * limit equal to the `byteLength` the manifest declares (a decompression bomb stops there).
 */
export async function fromQuantizedArtifacts(art: QuantizedArtifacts, options?: string | LoadQuantizedOptions): Promise<QuantizedModel> {
  const o = typeof options === 'string' ? { file: options } : (options ?? {});
  const file = o.file ?? MODEL_FILE;
  if (typeof art !== 'object' || art === null || !(art.weights instanceof ArrayBuffer) || !(art.quantized instanceof Uint8Array)) {
    throw new SerializationError('quantized artifacts need "json", a "weights" ArrayBuffer and "quantized" bytes', file);
  }
  const json = validateModelJson(art.json, file);
  const quant = checkQuantization(json.quantization, file);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  checkWeightBytes(specs, art.weights.byteLength, file);
  checkParamDtypes(json.params, specs, file);
  if (!o.allowNonFinite) checkFinite(specs, art.weights, file);
  let bytes: Uint8Array;
  try {
    bytes = quant.compression === 'deflate' ? await inflate(art.quantized, { maxOutputLength: quant.byteLength }) : art.quantized;
  } catch (e) {
    const bomb = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    throw new SerializationError(
      bomb ? `${quant.path} inflates to more than the ${quant.byteLength} bytes the manifest declares (corrupt, or a decompression bomb)` : `cannot inflate ${quant.path}: ${(e as Error).message}`,
      file,
    );
  }
  if (bytes.length !== quant.byteLength) throw new SerializationError(`${quant.path} holds ${bytes.length} bytes, the manifest says ${quant.byteLength} (truncated or corrupt)`, file);
  const graph = graphFromJson(json.graph, file);
  const codebooks = checkAgainstGraph(graph, json.params, quant.weights, quant.codebooks ?? [], file);
  const quantized = new Map<string, QuantizedTensor>();
  for (const e of quant.weights) quantized.set(e.name, decodeWeight(bytes, e, file));
  const clustered = new Map<string, Float32Array>();
  let end = 0;
  for (const e of codebooks) {
    if (specs.some((s) => s.name === e.name)) throw new SerializationError(`param "${e.name}" is in both the weights manifest and the codebooks`, file, { param: e.name });
    // An entry without an offset starts where the previous codebook segment ended.
    const offset = e.offset ?? end;
    end = offset + e.length;
    try {
      const r = new ByteReader(bytes, end, offset, file);
      const values = decodeCodebook(r, e.shape, e.nnz, e.name, file);
      if (r.pos !== end) throw new SerializationError(`codebook param "${e.name}": segment has ${end - r.pos} unread bytes`, file, { param: e.name });
      clustered.set(e.name, values);
    } catch (err) {
      if (!(err instanceof SerializationError) || err.message.includes(`"${e.name}"`)) throw err;
      throw new SerializationError(`codebook param "${e.name}": ${err.message.replace(`${file}: `, '')}`, file, { param: e.name }, { cause: err });
    }
  }
  const activations = new Map<NodeId, QParams>();
  for (const a of quant.activations) {
    graph.node(a.node);
    activations.set(a.node, { scale: Float32Array.of(a.scale), zeroPoint: Int32Array.of(a.zeroPoint), axis: undefined, qmin: a.qmin, qmax: a.qmax, bits: a.bits, signed: a.signed, symmetric: a.symmetric });
  }
  const floats = decodeWeightMap(art.weights, specs);
  const params = new Map<string, Param>();
  try {
    for (const entry of json.params) {
      const q = quantized.get(entry.name);
      if (q) {
        params.set(entry.name, paramFromQuantized(entry.name, q, entry.trainable));
        continue;
      }
      const c = clustered.get(entry.name);
      if (c) {
        const shape = codebooks.find((e) => e.name === entry.name)!.shape;
        const t = tf.tensor(c, shape);
        params.set(entry.name, new Param(entry.name, t, entry.trainable));
        t.dispose();
        continue;
      }
      const v = floats.get(entry.name);
      if (!v) throw new SerializationError(`param "${entry.name}" has neither float nor quantized weights`, file);
      params.set(entry.name, new Param(entry.name, v, entry.trainable));
    }
    return new QuantizedModel(graph, params, typeof json.seed === 'number' ? json.seed : 0, quant.mode, quantized, activations);
  } catch (e) {
    for (const p of params.values()) p.dispose();
    if (e instanceof BonsaiError) throw e;
    throw new SerializationError((e as Error).message, file);
  } finally {
    for (const t of floats.values()) t.dispose();
  }
}

/**
 * Saves a quantized model to `dir`: model.json (core's format plus a `quantization` section),
 * weights.bin (float params: biases, norms) and weights.q.bin (packed integers, sparse when
 * that is smaller, Huffman-coded with `entropyCoding`, deflated). Atomic. Node only. Returns the
 * total bytes written, per file, and `gzipBytes`: the sum of each file's gzip -9 size (what a
 * server sending `Content-Encoding: gzip` transfers).
 */
export async function saveQuantized(model: QuantizedModel | Model, dir: string, options: SaveQuantizedOptions = {}): Promise<QuantizedSizes> {
  const art = await toQuantizedArtifacts(model, options);
  const text = JSON.stringify(art.json);
  const files = [
    ...(art.json.weightsManifest.some((g) => g.paths.length > 0) ? [{ name: WEIGHTS_FILE, data: new Uint8Array(art.weights) }] : []),
    { name: QUANTIZED_WEIGHTS_FILE, data: art.quantized },
    { name: MODEL_FILE, data: text },
  ];
  await writeFilesAtomic(dir, files);
  const sizes: Record<string, number> = {};
  let gzipBytes = 0;
  for (const f of files) {
    const data = typeof f.data === 'string' ? new TextEncoder().encode(f.data) : f.data;
    sizes[f.name] = data.byteLength;
    gzipBytes += await gzipSize(data);
  }
  return { bytes: Object.values(sizes).reduce((a, b) => a + b, 0), files: sizes, gzipBytes };
}

/**
 * Loads a model written by {@link saveQuantized} (paths confined to `dir`). The integer weights
 * file is `stat`ed before it is read (regular file; no larger than an honest deflate stream of the
 * declared size). IoError for file-system failures, SerializationError for bad content. Node only.
 */
export async function loadQuantized(dir: string, options: Omit<LoadQuantizedOptions, 'file'> = {}): Promise<QuantizedModel> {
  const { json, weights, file } = await readModelFiles(dir);
  const quant = checkQuantization(json.quantization, file);
  const full = await resolveInside(dir, quant.path);
  const limit = quant.compression === 'deflate' ? deflateBound(quant.byteLength) : quant.byteLength;
  const size = await regularFileSize(full);
  if (size > limit) throw new SerializationError(`${quant.path} is ${size} bytes, more than the ${limit} bytes its declared ${quant.byteLength}-byte content can take (corrupt or hostile)`, file);
  const quantized = await readFileChecked(full, limit);
  return fromQuantizedArtifacts({ json: json as QuantizedArtifacts['json'], weights, quantized }, { ...options, file });
}
