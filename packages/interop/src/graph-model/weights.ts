import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, SerializationError } from '@bonsai/core';
import { isObject, own, show } from '../json';

/** A decoded Const of a GraphModel. */
export interface ConstValue {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: Float32Array | Int32Array;
  /** How the file stored it (for reports). */
  readonly stored: 'float32' | 'int32' | 'uint8' | 'uint16' | 'float16';
}

/** A validated weights-manifest group of a GraphModel. */
export interface GraphWeightGroup {
  readonly paths: readonly string[];
  readonly bytes: number;
}

const STORED_BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 } as const;

/** Largest number of elements one Const may claim (guards allocations from a corrupt manifest). */
const MAX_ELEMENTS = 1 << 28;

/**
 * Validates a GraphModel `weightsManifest` (dtypes float32/int32, quantization uint8/uint16/float16,
 * shapes, byte sizes) against `totalBytes` when known, before anything is allocated.
 */
export function parseGraphManifest(raw: unknown, file: string, totalBytes: number | undefined): { groups: GraphWeightGroup[]; specs: tf.io.WeightsManifestEntry[] } {
  const fail = (msg: string): never => {
    throw new SerializationError(`GraphModel weightsManifest: ${msg}`, file);
  };
  if (!Array.isArray(raw)) fail(`must be an array, got ${show(raw)}`);
  const groups: GraphWeightGroup[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const g of raw as unknown[]) {
    if (!isObject(g)) return fail(`group ${show(g)} is not an object`);
    const paths = own(g, 'paths') ?? [];
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) fail(`"paths" must be non-empty strings, got ${show(paths)}`);
    const weights = own(g, 'weights');
    if (!Array.isArray(weights)) return fail(`a group needs a "weights" array, got ${show(weights)}`);
    let bytes = 0;
    for (const w of weights) {
      if (!isObject(w)) return fail(`malformed entry ${show(w)}`);
      const name = own(w, 'name');
      if (typeof name !== 'string' || name === '') return fail(`entry without a name: ${show(w)}`);
      if (names.has(name)) fail(`weight "${name}" appears twice`);
      names.add(name);
      const shape = own(w, 'shape');
      if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) return fail(`weight "${name}": shape must be non-negative integers, got ${show(shape)}`);
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      if (size > MAX_ELEMENTS) fail(`weight "${name}": shape ${show(shape)} is too large`);
      const dtype = own(w, 'dtype');
      if (dtype !== 'float32' && dtype !== 'int32') return fail(`weight "${name}": dtype ${show(dtype)} is not supported (float32 and int32 are)`);
      const q = own(w, 'quantization');
      let stored: keyof typeof STORED_BYTES = dtype;
      const spec: tf.io.WeightsManifestEntry = { name, shape: [...(shape as number[])], dtype };
      if (q !== undefined && q !== null) {
        if (!isObject(q)) return fail(`weight "${name}": malformed quantization ${show(q)}`);
        const qd = own(q, 'dtype');
        if (qd !== 'uint8' && qd !== 'uint16' && qd !== 'float16') return fail(`weight "${name}": quantization dtype ${show(qd)} is not supported (uint8, uint16, float16 are)`);
        if (qd === 'float16' && dtype !== 'float32') fail(`weight "${name}": float16 quantization of ${dtype} is not supported`);
        stored = qd;
        if (qd === 'float16') spec.quantization = { dtype: qd };
        else {
          const scale = own(q, 'scale');
          const min = own(q, 'min');
          if (typeof scale !== 'number' || !Number.isFinite(scale) || typeof min !== 'number' || !Number.isFinite(min)) return fail(`weight "${name}": ${qd} quantization needs finite "scale" and "min", got ${show(q)}`);
          spec.quantization = { dtype: qd, scale, min };
        }
      }
      const n = size * STORED_BYTES[stored];
      if (totalBytes !== undefined && offset + n > totalBytes) {
        fail(`weight "${name}" [${(shape as number[]).join(', ')}] needs bytes ${offset}..${offset + n}, the weights hold ${totalBytes} (truncated or mismatched)`);
      }
      offset += n;
      bytes += n;
      specs.push(spec);
    }
    groups.push({ paths: paths as string[], bytes });
  }
  if (totalBytes !== undefined && offset !== totalBytes) fail(`the weights hold ${totalBytes} bytes, the manifest describes ${offset}`);
  return { groups, specs };
}

/**
 * Decodes every manifest entry into plain arrays: float32/int32 entries are read directly, the
 * quantized ones (uint8/uint16 affine, float16) are dequantized by tfjs-core's `io.decodeWeights`.
 * No tensor survives.
 */
export function decodeGraphWeights(data: Uint8Array, specs: readonly tf.io.WeightsManifestEntry[], file: string): Map<string, ConstValue> {
  const out = new Map<string, ConstValue>();
  const quantized: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization?.dtype;
    const bytes = size * (q === undefined ? 4 : q === 'uint8' ? 1 : 2);
    const chunk = data.slice(offset, offset + bytes);
    offset += bytes;
    if (q !== undefined) {
      quantized.push(spec);
      parts.push(chunk.buffer as ArrayBuffer);
      continue;
    }
    const values = spec.dtype === 'int32' ? new Int32Array(chunk.buffer, 0, size) : new Float32Array(chunk.buffer, 0, size);
    out.set(spec.name, { name: spec.name, shape: [...spec.shape], dtype: spec.dtype as 'float32' | 'int32', values, stored: spec.dtype as 'float32' | 'int32' });
  }
  if (quantized.length === 0) return out;
  let map: tf.NamedTensorMap;
  try {
    map = tf.io.decodeWeights(tf.io.CompositeArrayBuffer.join(parts), quantized);
  } catch (e) {
    if (e instanceof BonsaiError) throw e;
    throw new SerializationError(`GraphModel weights cannot be decoded: ${(e as Error).message}`, file);
  }
  try {
    for (const spec of quantized) {
      out.set(spec.name, {
        name: spec.name,
        shape: [...spec.shape],
        dtype: spec.dtype as 'float32' | 'int32',
        values: map[spec.name]!.dataSync() as Float32Array | Int32Array,
        stored: spec.quantization!.dtype!,
      });
    }
  } finally {
    for (const t of Object.values(map)) t.dispose();
  }
  return out;
}
