import { SerializationError } from '@bonsai/core';
import { decodeArithmetic, encodeArithmetic } from './codebook-arithmetic';
import { huffmanDecode, huffmanEncode } from './huffman';
import { bitmapPositions, ByteWriter, gapPositions, scatter, type ByteReader } from './packing';

/**
 * Entropy-coded layouts of a quantized weight's integers (`q - qmin`), each a canonical Huffman
 * stream (huffman.ts) prefixed by its varint byte length:
 * - `huffman`: every value;
 * - `bitmap-huffman`: 1 bit per element marking `q != zero point`, then the nonzero values;
 * - `delta-huffman`: the gaps between nonzero positions (Huffman), then the nonzero values;
 * - `rice-huffman`: the gaps Golomb-Rice coded (Golomb 1966, Rice 1979: a parameter byte k, then per
 *   gap `g >> k` in unary and its k low bits; near-optimal for the geometric gaps of
 *   unstructured sparsity and without a table), then the nonzero values;
 * - `arithmetic`: the positions and values range-coded to the segment's end under adaptive
 *   contexts (codebook-arithmetic.ts, the codebook layout's body with the values as indices among
 *   2^bits): no tables, and dead rows and columns of a pruned kernel cost little.
 */
export type EntropyEncoding = 'huffman' | 'bitmap-huffman' | 'delta-huffman' | 'rice-huffman' | 'arithmetic';

/** The entropy-coded layouts, in the order the encoder tries them. */
export const ENTROPY_ENCODINGS: readonly EntropyEncoding[] = ['huffman', 'bitmap-huffman', 'delta-huffman', 'rice-huffman', 'arithmetic'];

/** Largest Rice parameter written or accepted. */
const MAX_RICE_K = 30;

/** Golomb-Rice code of non-negative `gaps` with the best parameter, as a varint-length-prefixed stream. */
function riceStream(w: ByteWriter, gaps: ArrayLike<number>): void {
  let best = { k: 0, bits: Infinity };
  for (let k = 0; k <= MAX_RICE_K; k++) {
    let bits = 0;
    for (let i = 0; i < gaps.length; i++) bits += Math.floor(gaps[i]! / 2 ** k) + 1 + k;
    if (bits < best.bits) best = { k, bits };
    if (bits > 2 * best.bits) break;
  }
  const out = new Uint8Array(1 + Math.ceil(best.bits / 8));
  out[0] = best.k;
  let bit = 8;
  const put = (b: number): void => {
    if (b) out[bit >> 3]! |= 0x80 >> (bit & 7);
    bit++;
  };
  for (let i = 0; i < gaps.length; i++) {
    const g = gaps[i]!;
    for (let u = Math.floor(g / 2 ** best.k); u > 0; u--) put(1);
    put(0);
    for (let b = best.k - 1; b >= 0; b--) put(Math.floor(g / 2 ** b) & 1);
  }
  w.varint(out.length);
  w.bytes(out);
}

/** Decodes {@link riceStream}: `count` gaps, each below `limit`; overlong runs, trailing bytes and nonzero padding are errors. */
function readRice(r: ByteReader, count: number, limit: number, file: string): Int32Array {
  const bytes = r.bytes(r.varint());
  const fail = (msg: string): never => {
    throw new SerializationError(`rice gaps: ${msg}`, file);
  };
  if (bytes.length === 0) fail('empty stream');
  const k = bytes[0]!;
  if (k > MAX_RICE_K) fail(`parameter ${k} above ${MAX_RICE_K}`);
  const end = bytes.length * 8;
  let bit = 8;
  const get = (): number => {
    if (bit >= end) fail(`stream ends early (${count} gaps declared)`);
    const b = (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
    bit++;
    return b;
  };
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let q = 0;
    while (get() === 1) if (++q * 2 ** k >= limit) fail(`gap ${i} is not below ${limit}`);
    let g = q * 2 ** k;
    for (let b = k - 1; b >= 0; b--) g += get() * 2 ** b;
    if (g >= limit) fail(`gap ${i} (${g}) is not below ${limit}`);
    out[i] = g;
  }
  if (Math.ceil(bit / 8) !== bytes.length) fail(`${bytes.length - Math.ceil(bit / 8)} trailing bytes`);
  if ((bit & 7) !== 0 && (bytes[bytes.length - 1]! & ((1 << (8 - (bit & 7))) - 1)) !== 0) fail('nonzero padding bits');
  return out;
}

function stream(w: ByteWriter, values: ArrayLike<number>): void {
  const h = huffmanEncode(values);
  w.varint(h.length);
  w.bytes(h);
}

/** Options of {@link encodeEntropy}. */
export interface EncodeEntropyOptions {
  /** The weight's shape (default flat): the arithmetic layout's contexts follow its rows and columns. */
  shape?: readonly number[];
  /** Bits of the integers; with it the `arithmetic` layout is tried too. */
  bits?: number;
}

/**
 * The smallest entropy-coded layout of `q` (integers; `isZero(i)` marks the encoded zero of
 * element i). Returns its bytes, to compare with the fixed-width layouts.
 */
export function encodeEntropy(q: Int32Array, qmin: number, isZero: (i: number) => boolean, options: EncodeEntropyOptions = {}): { encoding: EntropyEncoding; bytes: Uint8Array; nnz: number } {
  const nz: number[] = [];
  for (let i = 0; i < q.length; i++) if (!isZero(i)) nz.push(i);
  const nzValues = Int32Array.from(nz, (i) => q[i]! - qmin);
  const candidates: Array<{ encoding: EntropyEncoding; bytes: Uint8Array }> = [];
  const all = new ByteWriter();
  stream(all, Int32Array.from(q, (v) => v - qmin));
  candidates.push({ encoding: 'huffman', bytes: all.result() });
  const bitmap = new ByteWriter();
  const map = new Uint8Array(Math.ceil(q.length / 8));
  for (const i of nz) map[i >> 3]! |= 1 << (i & 7);
  bitmap.bytes(map);
  stream(bitmap, nzValues);
  candidates.push({ encoding: 'bitmap-huffman', bytes: bitmap.result() });
  const gaps = Int32Array.from(nz, (pos, k) => pos - (k === 0 ? -1 : nz[k - 1]!) - 1);
  const delta = new ByteWriter();
  stream(delta, gaps);
  stream(delta, nzValues);
  candidates.push({ encoding: 'delta-huffman', bytes: delta.result() });
  const rice = new ByteWriter();
  riceStream(rice, gaps);
  stream(rice, nzValues);
  candidates.push({ encoding: 'rice-huffman', bytes: rice.result() });
  if (options.bits !== undefined) candidates.push({ encoding: 'arithmetic', bytes: encodeArithmetic(options.shape ?? [q.length], nz, nzValues, 2 ** options.bits) });
  const best = candidates.reduce((a, b) => (b.bytes.length < a.bytes.length ? b : a));
  return { ...best, nnz: nz.length };
}

function readStream(r: ByteReader, count: number, limit: number, what: string, file: string): Int32Array {
  const len = r.varint();
  const v = huffmanDecode(r.bytes(len), { maxValues: count, file });
  if (v.length !== count) throw new SerializationError(`huffman ${what}: ${v.length} values, the manifest says ${count}`, file);
  for (let i = 0; i < count; i++) {
    if (v[i]! < 0 || v[i]! >= limit) throw new SerializationError(`huffman ${what}: value ${v[i]} at ${i} is outside [0, ${limit})`, file);
  }
  return v;
}

/**
 * Decodes {@link encodeEntropy}'s bytes: `n` integers, `nnz` of them nonzero, `bits` wide above
 * `qmin`; `zero(i)` is the integer of an absent element; `shape` (default `[n]`) as encoded. Every
 * stream is checked (length, value count, range, positions inside the weight): SerializationError naming `file`.
 */
export function decodeEntropy(r: ByteReader, encoding: EntropyEncoding, n: number, nnz: number, qmin: number, bits: number, zero: (i: number) => number, file: string, shape: readonly number[] = [n]): Int32Array {
  if (!Number.isInteger(nnz) || nnz < 0 || nnz > n) throw new SerializationError(`${nnz} nonzero values declared for a weight of ${n} values`, file);
  if (shape.reduce((a, b) => a * b, 1) !== n) throw new SerializationError(`shape [${shape.join(', ')}] does not hold ${n} values`, file);
  const range = 2 ** bits;
  if (encoding === 'arithmetic') {
    const body = r.bytes(r.remaining);
    const { positions, ids } = decodeArithmetic(body, 0, body.length, shape, nnz, range, (msg) => {
      throw new SerializationError(`arithmetic-coded weight: ${msg}`, file);
    });
    return scatter(n, positions, ids, qmin, zero);
  }
  if (encoding === 'huffman') {
    const v = readStream(r, n, range, 'values', file);
    for (let i = 0; i < n; i++) v[i] = v[i]! + qmin;
    return v;
  }
  let positions: Int32Array;
  if (encoding === 'bitmap-huffman') {
    positions = bitmapPositions(r, n, nnz, file);
  } else if (encoding === 'delta-huffman' || encoding === 'rice-huffman') {
    const gaps = encoding === 'rice-huffman' ? readRice(r, nnz, n, file) : readStream(r, nnz, n, 'gaps', file);
    positions = gapPositions((k) => gaps[k]!, n, nnz, file);
  } else {
    throw new SerializationError(`unknown entropy encoding ${JSON.stringify(encoding)}`, file);
  }
  return scatter(n, positions, readStream(r, nnz, range, 'values', file), qmin, zero);
}
