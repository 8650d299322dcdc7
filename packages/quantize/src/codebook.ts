import { SerializationError } from '@bonsai/core';
import { fromFloat16Bits, toFloat16Bits } from './float16';
import { decodeArithmetic, encodeArithmetic } from './codebook-arithmetic';
import { huffmanDecode, huffmanEncode } from './huffman';
import { ByteWriter, type ByteReader } from './packing';

/**
 * The `codebook` layout of a float param whose nonzero values take few distinct values (pruned,
 * then clustered weights; Han et al. 2016, "Deep Compression" §2-4):
 *   byte `capBits`, byte centroid dtype (0 float16, 1 float32), varint k, k centroids (ascending),
 *   varint length + Huffman stream of the gaps between nonzeros (symbols 0..cap-1; the symbol
 *   `cap = 2^capBits - 1` means "skip cap positions, no value", Deep Compression's filler),
 *   varint length + Huffman stream of each nonzero's centroid index;
 * or, where smaller (small and structured params: no code tables), byte 0, the same centroid dtype,
 * k and centroids, then the positions and indices range-coded to the segment's end
 * (codebook-arithmetic.ts).
 * `capBits` is chosen per param to minimize the bytes. Lossless: the decoder gives back exactly
 * the values the encoder saw.
 */
export const CODEBOOK_LAYOUT = 'codebook';

/** Most distinct nonzero values a codebook param may have. */
export const MAX_CODEBOOK_SIZE = 4096;

/** Largest `capBits` written or accepted. */
const MAX_CAP_BITS = 24;

function gapSymbols(nz: readonly number[], cap: number): Int32Array {
  const out: number[] = [];
  let pos = 0;
  for (const i of nz) {
    let gap = i - pos;
    while (gap >= cap) {
      out.push(cap);
      gap -= cap;
    }
    out.push(gap);
    pos = i + 1;
  }
  return Int32Array.from(out);
}

function stream(w: ByteWriter, values: ArrayLike<number>): void {
  const h = huffmanEncode(values);
  w.varint(h.length);
  w.bytes(h);
}

/** Options of {@link encodeCodebook}. */
export interface EncodeCodebookOptions {
  /** The param's shape (default flat): the arithmetic-coded body's contexts follow its rows and columns. */
  shape?: readonly number[];
  /** Most distinct nonzero values (default {@link MAX_CODEBOOK_SIZE}). */
  maxCentroids?: number;
  /** Which body to write (default the smaller). */
  body?: 'huffman' | 'arithmetic' | 'smaller';
}

/**
 * Encodes `values` in the codebook layout, or returns undefined when they have more than
 * `maxCentroids` distinct nonzero values. `nnz` is the number of nonzeros (the manifest records it).
 */
export function encodeCodebook(values: Float32Array, options: EncodeCodebookOptions = {}): { bytes: Uint8Array; nnz: number; centroids: number } | undefined {
  const maxCentroids = options.maxCentroids ?? MAX_CODEBOOK_SIZE;
  const body = options.body ?? 'smaller';
  const distinct = new Set<number>();
  const nz: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) continue;
    nz.push(i);
    distinct.add(v);
    if (distinct.size > maxCentroids) return undefined;
  }
  if ([...distinct].some((v) => !Number.isFinite(v))) return undefined;
  const centroids = Float32Array.from(distinct).sort();
  const half = centroids.every((c) => fromFloat16Bits(toFloat16Bits(c)) === c);
  const index = new Map<number, number>();
  centroids.forEach((c, i) => index.set(c, i));
  const ids = Int32Array.from(nz, (i) => index.get(values[i]!)!);
  const head = new ByteWriter();
  head.byte(half ? 0 : 1);
  head.varint(centroids.length);
  if (half) head.int16s(Int16Array.from(centroids, (c) => toFloat16Bits(c)));
  else head.float32s(centroids);
  const idStream = new ByteWriter();
  stream(idStream, ids);
  const headBytes = head.result();
  const idBytes = idStream.result();
  let best: Uint8Array | undefined;
  if (body !== 'huffman') {
    const w = new ByteWriter();
    w.byte(0);
    w.bytes(headBytes);
    w.bytes(encodeArithmetic(options.shape ?? [values.length], nz, ids, centroids.length));
    best = w.result();
    if (body === 'arithmetic') return { bytes: best, nnz: nz.length, centroids: centroids.length };
  }
  for (let bits = 1; bits <= MAX_CAP_BITS; bits++) {
    const cap = 2 ** bits - 1;
    const w = new ByteWriter();
    w.byte(bits);
    w.bytes(headBytes);
    stream(w, gapSymbols(nz, cap));
    w.bytes(idBytes);
    const out = w.result();
    if (!best || out.length <= best.length) best = out;
    if (cap >= values.length) break;
  }
  return { bytes: best!, nnz: nz.length, centroids: centroids.length };
}

/**
 * Decodes {@link encodeCodebook}'s bytes (the rest of `r`'s segment) to the values of a param of
 * `shape` with `nnz` nonzeros. Every field is checked (gap and index counts, positions inside the
 * param, index range, finite centroids): a SerializationError naming `file` and `param`.
 */
export function decodeCodebook(r: ByteReader, shape: readonly number[], nnz: number, param: string, file: string): Float32Array {
  const fail = (msg: string): never => {
    throw new SerializationError(`codebook param "${param}": ${msg}`, file, { param });
  };
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(nnz) || nnz < 0 || nnz > n) fail(`${nnz} nonzero values declared for a param of ${n} values`);
  const bits = r.bytes(1)[0]!;
  if (bits > MAX_CAP_BITS) fail(`gap cap of ${bits} bits outside [0, ${MAX_CAP_BITS}] (0: arithmetic-coded)`);
  const cap = 2 ** bits - 1;
  const dtype = r.bytes(1)[0]!;
  if (dtype > 1) fail(`unknown centroid dtype ${dtype}`);
  const k = r.varint();
  if (k > MAX_CODEBOOK_SIZE || k > nnz || (k === 0 && nnz > 0)) fail(`${k} centroids for ${nnz} nonzero values`);
  const centroids = dtype === 0 ? Float32Array.from(r.int16s(k), (h) => fromFloat16Bits(h & 0xffff)) : r.float32s(k);
  if (centroids.some((c) => !Number.isFinite(c) || c === 0)) fail('centroids must be finite and nonzero');
  if (bits === 0) {
    const body = r.bytes(r.remaining);
    const { positions, ids } = decodeArithmetic(body, 0, body.length, shape, nnz, k, fail);
    const out = new Float32Array(n);
    for (let i = 0; i < nnz; i++) out[positions[i]!] = centroids[ids[i]!]!;
    return out;
  }
  const huffman = (what: string, maxValues: number): Int32Array => {
    const bytes = r.bytes(r.varint());
    try {
      return huffmanDecode(bytes, { maxValues, file });
    } catch (e) {
      return fail(`${what}: ${(e as Error).message}`);
    }
  };
  const gaps = huffman('gaps', nnz + Math.floor(n / cap) + 1);
  const ids = huffman('centroid indices', nnz);
  if (ids.length !== nnz) fail(`${ids.length} centroid indices, the manifest says ${nnz}`);
  const out = new Float32Array(n);
  let at = 0;
  let count = 0;
  for (let g = 0; g < gaps.length; g++) {
    const gap = gaps[g]!;
    if (gap < 0 || gap > cap) fail(`gap symbol ${gap} outside [0, ${cap}]`);
    at += gap;
    if (gap === cap) continue;
    if (at >= n) fail(`nonzero ${count} at position ${at}, past the ${n} values`);
    if (count >= nnz) fail(`more than the ${nnz} declared nonzero values`);
    const id = ids[count++]!;
    if (id < 0 || id >= k) fail(`centroid index ${id} outside [0, ${k})`);
    out[at++] = centroids[id]!;
  }
  if (count !== nnz) fail(`${count} nonzero positions, the manifest says ${nnz}`);
  return out;
}
