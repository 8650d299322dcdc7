/**
 * An adaptive binary range coder: LZMA's carry-propagating encoder (Pavlov, 7-Zip), with each
 * bit's probability estimated from the counts its context has seen so far (Krichevsky–Trofimov,
 * 16-bit), so a stream needs no code table and small streams cost near their entropy. Encoder
 * and decoder hold their state in the objects a caller creates: nothing is shared.
 */

const TOP = 2 ** 24;
const PROB_BITS = 16;
const PROB_ONE = 2 ** PROB_BITS;

/** Counts of the zeros and ones one context has coded (a caller's model holds one per context). */
export interface BitContext {
  zeros: number;
  ones: number;
}

/** A fresh context (no bits seen: probability one half). */
export const bitContext = (): BitContext => ({ zeros: 0, ones: 0 });

/** Probability of a zero in `PROB_BITS` bits: (zeros + 1/2) / (zeros + ones + 1), in integers, kept inside (0, 1). */
function probZero(c: BitContext): number {
  const p = Math.floor(((2 * c.zeros + 1) * (PROB_ONE / 2)) / (c.zeros + c.ones + 1));
  return Math.min(PROB_ONE - 1, Math.max(1, p));
}

function update(c: BitContext, bit: number): void {
  if (bit === 0) c.zeros++;
  else c.ones++;
}

/** Encodes bits under adaptive contexts; {@link RangeEncoder.finish} returns the bytes. */
export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  private readonly out: number[] = [];

  /** Codes `bit` (0 or 1) under `context` and counts it there. */
  encode(context: BitContext, bit: number): void {
    const bound = Math.floor(this.range / PROB_ONE) * probZero(context);
    if (bit === 0) {
      this.range = bound;
    } else {
      this.low += bound;
      this.range -= bound;
    }
    update(context, bit);
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  private shiftLow(): void {
    if (this.low < 0xff000000 || this.low >= 2 ** 32) {
      const carry = this.low >= 2 ** 32 ? 1 : 0;
      let temp = this.cache;
      do {
        this.out.push((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = Math.floor(this.low / TOP) & 0xff;
    }
    this.cacheSize++;
    this.low = (this.low % TOP) * 256;
  }

  /**
   * The coded bytes. The final value is the one in [low, low + range) with the most trailing zero
   * bits (at least 24), and those three zero bytes are left out, as is the first byte (always 0):
   * the decoder reads zeros past the end, exactly {@link TRAILING_ZEROS} of them.
   */
  finish(): Uint8Array {
    for (let k = 32; k >= 24; k--) {
      const v = Math.ceil(this.low / 2 ** k) * 2 ** k;
      if (v < this.low + this.range) {
        this.low = v;
        break;
      }
    }
    for (let i = 0; i < 5; i++) this.shiftLow();
    return Uint8Array.from(this.out.slice(1, this.out.length - TRAILING_ZEROS));
  }
}

/** Zero bytes a finished stream leaves out at its end (its decoder reads exactly this many past the end). */
export const TRAILING_ZEROS = 3;

/** Decodes a {@link RangeEncoder} stream given the same sequence of contexts. */
export class RangeDecoder {
  private range = 0xffffffff;
  private code = 0;
  private pos: number;

  /** Reads `bytes[start, end)`; past `end` it reads zeros (the encoder left trailing zeros out). */
  constructor(private readonly bytes: Uint8Array, start = 0, private readonly end = bytes.length) {
    this.pos = start;
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.next();
  }

  private next(): number {
    const b = this.pos < this.end ? this.bytes[this.pos]! : 0;
    this.pos++;
    return b;
  }

  /**
   * Whether the stream is consistent: the code inside the range, and, once every bit is decoded,
   * exactly the stream's bytes read plus {@link TRAILING_ZEROS} (a truncated or overlong stream
   * reads a different count).
   */
  get valid(): boolean {
    return this.code < this.range && this.pos === this.end + TRAILING_ZEROS;
  }

  /** The next bit under `context` (counted there, as the encoder did). */
  decode(context: BitContext): number {
    const bound = Math.floor(this.range / PROB_ONE) * probZero(context);
    let bit: number;
    if (this.code < bound) {
      this.range = bound;
      bit = 0;
    } else {
      this.code -= bound;
      this.range -= bound;
      bit = 1;
    }
    update(context, bit);
    while (this.range < TOP) {
      this.range *= 256;
      this.code = this.code * 256 + this.next();
    }
    return bit;
  }
}
