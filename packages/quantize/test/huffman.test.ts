import { createRng, SerializationError } from '@bonsai/core';
import { describe, expect, it } from 'vitest';
import { deflate, huffmanDecode, huffmanEncode } from '../src/index';

/** Seeded int4-like weights: 80% zeros, the rest peaked around 0 (as pruned, quantized kernels are). */
function sparseInts(n: number, seed: number): Int32Array {
  const rng = createRng(seed);
  return Int32Array.from({ length: n }, () => (rng() < 0.8 ? 0 : Math.round(3 * (rng() + rng() - 1)) || 1));
}

/** Empirical entropy in bits per value. */
function entropy(v: Int32Array): number {
  const c = new Map<number, number>();
  for (const x of v) c.set(x, (c.get(x) ?? 0) + 1);
  let h = 0;
  for (const k of c.values()) h -= (k / v.length) * Math.log2(k / v.length);
  return h;
}

describe('canonical Huffman coding', () => {
  it('round-trips (empty, one symbol, negatives, large ints) and lands within 1 bit/value of the entropy', () => {
    for (const v of [new Int32Array(0), Int32Array.from([7, 7, 7]), Int32Array.from([-2147483648, 2147483647, 0, -1, 5]), sparseInts(10000, 1)]) {
      expect(huffmanDecode(huffmanEncode(v))).toEqual(v);
    }
    const v = sparseInts(20000, 2);
    const bytes = huffmanEncode(v).length;
    const h = entropy(v);
    expect((8 * bytes) / v.length).toBeLessThan(h + 1);
    expect((8 * bytes) / v.length).toBeGreaterThanOrEqual(h);
  });

  it('is smaller than deflate of the same values as int8 bytes on sparse quantized weights', async () => {
    const v = sparseInts(20000, 3);
    const huff = huffmanEncode(v).length;
    const gz = (await deflate(Uint8Array.from(v, (x) => x & 0xff))).length;
    expect(huff).toBeLessThan(gz);
  });

  it('corrupt streams are SerializationErrors: truncated, over-full code, bad length, too many values', () => {
    const good = huffmanEncode(sparseInts(500, 4));
    expect(() => huffmanDecode(good.subarray(0, good.length - 20), { file: 'w.q.bin' })).toThrow(/w\.q\.bin.*stream ends/);
    expect(() => huffmanDecode(good.subarray(0, 1))).toThrow(SerializationError);
    // count 2, 3 symbols of length 1: over-full.
    expect(() => huffmanDecode(Uint8Array.from([3, 3, 0, 1, 2, 1, 4, 1, 0]))).toThrow(/Kraft/);
    expect(() => huffmanDecode(Uint8Array.from([3, 2, 0, 0, 2, 1, 0]))).toThrow(/code length 0/);
    expect(() => huffmanDecode(good, { maxValues: 10 })).toThrow(/more than allowed/);
    expect(() => huffmanDecode(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(SerializationError);
  });
});
