import { describe, expect, it } from 'vitest';
import { bitContext, RangeDecoder, RangeEncoder, TRAILING_ZEROS } from '../src/range-coder';
import { createRng } from '@bonsai/core';

/** Codes `bits` under `contexts` (bit i under context ctxOf(i)), decodes them back. */
function roundTrip(bits: number[], ctxOf: (i: number) => number, nctx: number): { bytes: Uint8Array; back: number[]; valid: boolean } {
  const enc = new RangeEncoder();
  const ec = Array.from({ length: nctx }, bitContext);
  bits.forEach((b, i) => enc.encode(ec[ctxOf(i)]!, b));
  const bytes = enc.finish();
  const dec = new RangeDecoder(bytes);
  const dc = Array.from({ length: nctx }, bitContext);
  const back = bits.map((_, i) => dec.decode(dc[ctxOf(i)]!));
  return { bytes, back, valid: dec.valid };
}

describe('adaptive binary range coder', () => {
  it('round trips skewed, balanced and degenerate streams and costs near their entropy', () => {
    const rng = createRng(4);
    for (const [n, p] of [[20000, 0.005], [5000, 0.5], [3000, 0.97], [1, 0], [1, 1], [0, 0], [40000, 0]] as const) {
      const bits = Array.from({ length: n }, () => (rng() < p ? 1 : 0));
      const { bytes, back, valid } = roundTrip(bits, () => 0, 1);
      expect(back, `n ${n} p ${p}`).toEqual(bits);
      expect(valid).toBe(true);
      const ones = bits.filter((b) => b === 1).length;
      const q = n > 0 ? ones / n : 0;
      const entropyBits = q > 0 && q < 1 ? -n * (q * Math.log2(q) + (1 - q) * Math.log2(1 - q)) : 0;
      // Adaptive counting costs about log2(n)/2 bits more than the empirical entropy, plus the flush.
      expect(8 * bytes.length, `n ${n} p ${p}`).toBeLessThanOrEqual(entropyBits + 0.5 * Math.log2(n + 1) + 24);
    }
  });

  it('keeps contexts apart and carries across long runs of 0xff bytes', () => {
    const rng = createRng(9);
    // Context 0 almost always 1, context 1 almost always 0, context 2 fair: ~n/3 bits in all.
    const bits = Array.from({ length: 30000 }, (_, i) => (i % 3 === 2 ? (rng() < 0.5 ? 1 : 0) : i % 3 === 0 ? (rng() < 0.999 ? 1 : 0) : rng() < 0.001 ? 1 : 0));
    const { bytes, back, valid } = roundTrip(bits, (i) => i % 3, 3);
    expect(back).toEqual(bits);
    expect(valid).toBe(true);
    expect(bytes.length).toBeLessThan((10000 + 2 * 30000 * 0.015) / 8 + 32);
  });

  it('an overlong stream is not valid: a decoder reads exactly its bytes plus the trailing zeros', () => {
    const rng = createRng(5);
    const bits = Array.from({ length: 4000 }, () => (rng() < 0.2 ? 1 : 0));
    const enc = new RangeEncoder();
    const c = bitContext();
    for (const b of bits) enc.encode(c, b);
    const bytes = enc.finish();
    const decodeAll = (buf: Uint8Array): boolean => {
      const d = new RangeDecoder(buf);
      const dc = bitContext();
      for (let i = 0; i < bits.length; i++) d.decode(dc);
      return d.valid;
    };
    expect(decodeAll(bytes)).toBe(true);
    // (A truncated one can decode other bits with the same read count: the codebook layout adds a hash.)
    expect(decodeAll(Uint8Array.from([...bytes, 7]))).toBe(false);
    expect(TRAILING_ZEROS).toBe(3);
  });
});
