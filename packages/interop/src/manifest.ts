import { SerializationError } from '@bonsai/core';
import { fromFloat16Bits } from '@bonsai/quantize';
import { isObject, own, show } from './json';

/** Storage dtypes of the tfjs weights manifest that Bonsai reads (values are float32). */
export type StoredDtype = 'float32' | 'uint8' | 'uint16' | 'float16' | 'int32';

/** One validated weights-manifest entry with its byte range in the concatenated weights. */
export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly stored: StoredDtype;
  /** Affine dequantization (uint8/uint16): value = q * scale + min. */
  readonly scale: number;
  readonly min: number;
  readonly offset: number;
  readonly bytes: number;
  /** tfjs marks optimizer state with `group: 'optimizer'`; Bonsai ignores it. */
  readonly optimizer: boolean;
}

/** A validated manifest group: its file paths and entries. */
export interface WeightGroup {
  readonly paths: readonly string[];
  readonly entries: readonly WeightEntry[];
  readonly bytes: number;
}

const BYTES: Record<StoredDtype, number> = { float32: 4, uint8: 1, uint16: 2, float16: 2, int32: 4 };

/**
 * Validates a tfjs `weightsManifest` (or a flat `weightSpecs` list when `paths` are unknown)
 * against `totalBytes` available. Sizes are checked before anything is allocated, so a manifest
 * claiming gigabytes fails with a SerializationError naming `file`.
 */
export function parseManifest(raw: unknown, file: string, totalBytes: number | undefined): WeightGroup[] {
  const fail = (msg: string): never => {
    throw new SerializationError(msg, file);
  };
  if (!Array.isArray(raw)) fail(`"weightsManifest" must be an array, got ${show(raw)}`);
  const groups: WeightGroup[] = [];
  let offset = 0;
  const limit = totalBytes ?? Number.MAX_SAFE_INTEGER;
  for (const g of raw as unknown[]) {
    if (!isObject(g)) return fail(`weightsManifest group ${show(g)} is not an object`);
    const paths = own(g, 'paths') ?? [];
    const weights = own(g, 'weights');
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) fail(`weightsManifest "paths" must be non-empty strings, got ${show(paths)}`);
    if (!Array.isArray(weights)) return fail(`weightsManifest group needs a "weights" array, got ${show(weights)}`);
    const entries: WeightEntry[] = [];
    let groupBytes = 0;
    for (const w of weights) {
      const e = parseEntry(w, fail);
      const bytes = e.size * BYTES[e.stored];
      if (offset + bytes > limit) {
        fail(`weight "${e.name}" [${e.shape.join(', ')}] needs bytes ${offset}..${offset + bytes}, but the weights hold only ${limit} bytes (truncated, or a shape that does not match the data)`);
      }
      entries.push({ ...e, offset, bytes });
      offset += bytes;
      groupBytes += bytes;
    }
    groups.push({ paths: paths as string[], entries, bytes: groupBytes });
  }
  if (totalBytes !== undefined && offset !== totalBytes) {
    fail(`weights hold ${totalBytes} bytes, the manifest describes ${offset} bytes`);
  }
  return groups;
}

function parseEntry(w: unknown, fail: (msg: string) => never): Omit<WeightEntry, 'offset' | 'bytes'> {
  if (!isObject(w)) return fail(`malformed weight entry ${show(w)}`);
  const name = own(w, 'name');
  if (typeof name !== 'string' || name === '') return fail(`weight entry without a name: ${show(w)}`);
  const shape = own(w, 'shape');
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    return fail(`weight "${name}": shape must be a list of non-negative integers, got ${show(shape)}`);
  }
  let size = 1;
  for (const d of shape as number[]) {
    size *= d;
    if (size > Number.MAX_SAFE_INTEGER) return fail(`weight "${name}": shape ${show(shape)} is impossibly large`);
  }
  const dtype = own(w, 'dtype');
  // int32: counters such as Keras Normalization's `count` (tfjs-converter writes int64 as int32).
  if (dtype !== 'float32' && dtype !== 'int32') fail(`weight "${name}": dtype ${show(dtype)} is not supported (Keras weights are float32, counters int32)`);
  const q = own(w, 'quantization');
  let stored: StoredDtype = dtype === 'int32' ? 'int32' : 'float32';
  let scale = 1;
  let min = 0;
  if (q !== undefined && q !== null) {
    if (!isObject(q)) return fail(`weight "${name}": malformed quantization ${show(q)}`);
    const qd = own(q, 'dtype');
    if (qd !== 'uint8' && qd !== 'uint16' && qd !== 'float16') return fail(`weight "${name}": unsupported quantization dtype ${show(qd)}`);
    stored = qd;
    if (qd !== 'float16') {
      const s = own(q, 'scale');
      const m = own(q, 'min');
      if (typeof s !== 'number' || !Number.isFinite(s) || typeof m !== 'number' || !Number.isFinite(m)) {
        return fail(`weight "${name}": ${qd} quantization needs finite "scale" and "min", got ${show(q)}`);
      }
      scale = s;
      min = m;
    }
  }
  return { name, shape: shape as number[], size, stored, scale, min, optimizer: own(w, 'group') === 'optimizer' };
}

/** Decodes one entry of the concatenated weights to float32 (dequantizing uint8/uint16/float16). */
export function decodeEntry(data: Uint8Array, e: WeightEntry): Float32Array {
  const out = new Float32Array(e.size);
  const view = new DataView(data.buffer, data.byteOffset + e.offset, e.bytes);
  switch (e.stored) {
    case 'float32':
      for (let i = 0; i < e.size; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'uint8':
      for (let i = 0; i < e.size; i++) out[i] = view.getUint8(i) * e.scale + e.min;
      break;
    case 'uint16':
      for (let i = 0; i < e.size; i++) out[i] = view.getUint16(i * 2, true) * e.scale + e.min;
      break;
    case 'float16':
      for (let i = 0; i < e.size; i++) out[i] = fromFloat16Bits(view.getUint16(i * 2, true));
      break;
    case 'int32':
      for (let i = 0; i < e.size; i++) out[i] = view.getInt32(i * 4, true);
      break;
  }
  return out;
}
