import { SerializationError } from '@bonsai/core';

/** How a quantized weight's integers are laid out in the quantized weights file. */
export type WeightEncoding = 'dense' | 'bitmap' | 'delta';

/** A growable little-endian byte buffer. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Unsigned LEB128 varint. */
  varint(v: number): void {
    let x = v;
    while (x >= 0x80) {
      this.byte((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    this.byte(x);
  }

  float32s(values: Float32Array): void {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.bytes(b);
  }

  int16s(values: ArrayLike<number>): void {
    const b = new Uint8Array(values.length * 2);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setInt16(i * 2, values[i]!, true);
    this.bytes(b);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Sequential reader of what {@link ByteWriter} wrote; every overrun is a SerializationError naming `file`. */
export class ByteReader {
  private readonly dv: DataView;
  pos: number;

  constructor(private readonly bytesIn: Uint8Array, private readonly end: number, start: number, private readonly file: string) {
    if (end > bytesIn.length || start < 0 || start > end) throw new SerializationError(`segment [${start}, ${end}) lies outside the ${bytesIn.length}-byte quantized weights`, file);
    this.dv = new DataView(bytesIn.buffer, bytesIn.byteOffset, bytesIn.byteLength);
    this.pos = start;
  }

  /** Bytes left before the segment's end. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new SerializationError(`quantized weights truncated: need ${n} more bytes at offset ${this.pos}`, this.file);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.bytesIn.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      this.need(1);
      const b = this.bytesIn[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 49) throw new SerializationError(`malformed varint at offset ${this.pos}`, this.file);
    }
  }

  float32s(n: number): Float32Array {
    this.need(n * 4);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.dv.getFloat32(this.pos + i * 4, true);
    this.pos += n * 4;
    return out;
  }

  int16s(n: number): Int32Array {
    this.need(n * 2);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.dv.getInt16(this.pos + i * 2, true);
    this.pos += n * 2;
    return out;
  }
}

/** Packs unsigned values < 2^bits, `bits` bits each, LSB first. */
export function packBits(values: ArrayLike<number>, bits: number): Uint8Array {
  if (bits === 8) return Uint8Array.from(values as ArrayLike<number>);
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  let bit = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    for (let k = 0; k < bits; k++, bit++) if ((v >> k) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out;
}

/** Inverse of {@link packBits}. */
export function unpackBits(bytes: Uint8Array, count: number, bits: number): Int32Array {
  const out = new Int32Array(count);
  if (bits === 8) {
    for (let i = 0; i < count; i++) out[i] = bytes[i]!;
    return out;
  }
  let bit = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let k = 0; k < bits; k++, bit++) if ((bytes[bit >> 3]! >> (bit & 7)) & 1) v |= 1 << k;
    out[i] = v;
  }
  return out;
}

/** Byte length of `count` values packed at `bits` bits. */
export const packedBytes = (count: number, bits: number): number => Math.ceil((count * bits) / 8);

function varintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/**
 * Encodes integers (`q - qmin` packed at `bits` bits) in the smallest of three layouts:
 * dense (all values), bitmap (1 bit per element marking `q != zero` + the nonzero values) or
 * delta (varint gaps between nonzero positions + the nonzero values). `isZero(i)` tells whether
 * element i is the encoded zero (its channel's zero point).
 */
export function encodeValues(q: Int32Array, qmin: number, bits: number, isZero: (i: number) => boolean, w: ByteWriter): { encoding: WeightEncoding; nnz: number } {
  const n = q.length;
  const nz: number[] = [];
  let gapBytes = 0;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (isZero(i)) continue;
    nz.push(i);
    gapBytes += varintBytes(i - prev - 1);
    prev = i;
  }
  const valueBytes = packedBytes(nz.length, bits);
  const dense = packedBytes(n, bits);
  const bitmap = Math.ceil(n / 8) + valueBytes;
  const delta = gapBytes + valueBytes;
  const nzValues = (): Int32Array => Int32Array.from(nz, (i) => q[i]! - qmin);
  if (dense <= bitmap && dense <= delta) {
    w.bytes(packBits(Int32Array.from(q, (v) => v - qmin), bits));
    return { encoding: 'dense', nnz: nz.length };
  }
  if (bitmap <= delta) {
    const map = new Uint8Array(Math.ceil(n / 8));
    for (const i of nz) map[i >> 3]! |= 1 << (i & 7);
    w.bytes(map);
    w.bytes(packBits(nzValues(), bits));
    return { encoding: 'bitmap', nnz: nz.length };
  }
  prev = -1;
  for (const i of nz) {
    w.varint(i - prev - 1);
    prev = i;
  }
  w.bytes(packBits(nzValues(), bits));
  return { encoding: 'delta', nnz: nz.length };
}

/**
 * Decodes what {@link encodeValues} wrote; `zero(i)` is the integer of an absent element i.
 * The encoded bytes are bounds-checked before the output is allocated.
 */
export function decodeValues(r: ByteReader, encoding: WeightEncoding, n: number, nnz: number, qmin: number, bits: number, zero: (i: number) => number, file: string): Int32Array {
  if (!Number.isInteger(nnz) || nnz < 0 || nnz > n) throw new SerializationError(`${nnz} nonzero values declared for a weight of ${n} values`, file);
  if (encoding === 'dense') {
    const v = unpackBits(r.bytes(packedBytes(n, bits)), n, bits);
    for (let i = 0; i < n; i++) v[i] = v[i]! + qmin;
    return v;
  }
  if (encoding !== 'bitmap' && encoding !== 'delta') throw new SerializationError(`unknown weight encoding ${JSON.stringify(encoding)}`, file);
  const positions = encoding === 'bitmap' ? bitmapPositions(r, n, nnz, file) : gapPositions(() => r.varint(), n, nnz, file);
  return scatter(n, positions, unpackBits(r.bytes(packedBytes(nnz, bits)), nnz, bits), qmin, zero);
}

/** Reads a zero bitmap of `n` elements (1 = stored) and returns the `nnz` marked positions; a count mismatch is a SerializationError. */
export function bitmapPositions(r: ByteReader, n: number, nnz: number, file: string): Int32Array {
  const positions = new Int32Array(nnz);
  const map = r.bytes(Math.ceil(n / 8));
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!((map[i >> 3]! >> (i & 7)) & 1)) continue;
    if (k === nnz) throw new SerializationError(`bitmap marks more than the ${nnz} values the manifest says`, file);
    positions[k++] = i;
  }
  if (k !== nnz) throw new SerializationError(`bitmap marks ${k} values, the manifest says ${nnz}`, file);
  return positions;
}

/** Positions from `nnz` gaps (`gap()` reads the next one); a position at or past `n` is a SerializationError. */
export function gapPositions(gap: (k: number) => number, n: number, nnz: number, file: string): Int32Array {
  const positions = new Int32Array(nnz);
  let prev = -1;
  for (let k = 0; k < nnz; k++) {
    prev += gap(k) + 1;
    if (prev >= n) throw new SerializationError(`sparse index ${prev} is outside a weight of ${n} values`, file);
    positions[k] = prev;
  }
  return positions;
}

/** `n` integers: `values[k] + qmin` at `positions[k]`, `zero(i)` elsewhere. */
export function scatter(n: number, positions: Int32Array, values: Int32Array, qmin: number, zero: (i: number) => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = zero(i);
  for (let k = 0; k < positions.length; k++) out[positions[k]!] = values[k]! + qmin;
  return out;
}
