import * as tf from '@tensorflow/tfjs-core';
import { SerializationError, type Model } from '@bonsai/core';
import { quantize } from './quantize-api';

const { fromFloat16Bits, huffmanDecode, huffmanEncode, kmeans1d, toFloat16Bits } = quantize;

/**
 * Deep-Compression-style weight file (Han et al. 2016, §2-4), built from @bonsai/quantize's
 * public pieces (k-means++ clustering, canonical Huffman coding, float16): per param, in the
 * model's param order,
 *   varint k, k float16 centroids,
 *   varint length + Huffman stream of the gaps between nonzeros (symbols 0..cap-1; the symbol
 *   `cap` means "skip cap positions, no value", Deep Compression's filler),
 *   varint length + Huffman stream of the centroid index of each nonzero.
 * `cap` (a power of two, 1 byte) is chosen per param to minimize the bytes.
 */
export interface CodebookOptions {
  /** Centroids for conv/dense kernels (default 16: 4-bit indices before entropy coding). */
  kernelClusters?: number;
  /** Centroids for every other param: biases, batch-norm scales and statistics (default 16). */
  otherClusters?: number;
  /** k-means seed. */
  seed?: number;
}

/** A param's encoded bytes and the values they decode to. */
export interface CodebookEntry {
  name: string;
  bytes: number;
  values: Float32Array;
}

function varint(out: number[], v: number): void {
  let x = v;
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
}

function gapSymbols(nz: readonly number[], cap: number): number[] {
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
  return out;
}

/** Encodes one param's values (see {@link CodebookOptions}); returns the bytes. */
export function encodeParam(values: Float32Array, clusters: number, seed: number): Uint8Array {
  const { centroids, assignments } = kmeans1d(values, { clusters, seed });
  const half = Uint16Array.from(centroids, (c) => toFloat16Bits(c));
  const nz: number[] = [];
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (assignments[i]! < 0) continue;
    nz.push(i);
    idx.push(assignments[i]!);
  }
  let best: Uint8Array | undefined;
  for (let bits = 1; bits <= 16; bits++) {
    const cap = 2 ** bits - 1;
    const out: number[] = [bits];
    varint(out, half.length);
    for (const h of half) out.push(h & 0xff, h >> 8);
    const gaps = huffmanEncode(gapSymbols(nz, cap));
    varint(out, gaps.length);
    out.push(...gaps);
    const ids = huffmanEncode(idx);
    varint(out, ids.length);
    out.push(...ids);
    if (!best || out.length < best.length) best = Uint8Array.from(out);
    if (cap >= values.length) break;
  }
  return best!;
}

/** Decodes {@link encodeParam}'s bytes to `size` values (the centroids as float16 gives them). */
export function decodeParam(bytes: Uint8Array, size: number, name: string): Float32Array {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new SerializationError(`codebook param "${name}": ${msg}`, name);
  };
  const readVarint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (pos >= bytes.length) return fail('truncated');
      const b = bytes[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  const cap = 2 ** bytes[pos++]! - 1;
  const k = readVarint();
  const centroids = Array.from({ length: k }, () => {
    const h = bytes[pos]! | (bytes[pos + 1]! << 8);
    pos += 2;
    return fromFloat16Bits(h);
  });
  const glen = readVarint();
  const gaps = huffmanDecode(bytes.subarray(pos, pos + glen), { file: name });
  pos += glen;
  const ilen = readVarint();
  const ids = huffmanDecode(bytes.subarray(pos, pos + ilen), { file: name });
  const out = new Float32Array(size);
  let at = 0;
  let n = 0;
  for (const g of gaps) {
    at += g;
    if (g === cap) continue;
    if (at >= size || n >= ids.length) fail('a position or index is out of range');
    out[at] = centroids[ids[n++]!] ?? fail('centroid index out of range');
    at += 1;
  }
  if (n !== ids.length) fail('index count differs from the gap count');
  return out;
}

/**
 * Encodes every param of `model` (effective values: masks applied) and decodes it back into a
 * clone, so accuracy is measured on what the file holds. Returns the clone (caller disposes),
 * the per-param entries and the concatenated payload.
 */
export function codebookRoundTrip(model: Model, options: CodebookOptions = {}): { model: Model; entries: CodebookEntry[]; payload: Uint8Array } {
  const out = model.clone();
  const entries: CodebookEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const p of out.params.values()) {
    const values = tf.tidy(() => Float32Array.from(p.effective().dataSync() as Float32Array));
    const k = p.role === 'kernel' ? (options.kernelClusters ?? 16) : (options.otherClusters ?? 16);
    const bytes = encodeParam(values, k, options.seed ?? 0);
    const decoded = decodeParam(bytes, p.size, p.name);
    if (p.mask) p.dropMask();
    const t = tf.tensor(decoded, p.shape);
    p.assign(t);
    t.dispose();
    entries.push({ name: p.name, bytes: bytes.length, values: decoded });
    const len: number[] = [];
    varint(len, bytes.length);
    chunks.push(Uint8Array.from(len), bytes);
  }
  const payload = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    payload.set(c, o);
    o += c.length;
  }
  return { model: out, entries, payload };
}
