import { SerializationError } from '@bonsai/core';

/** Longest code length the coder writes or accepts. */
const MAX_BITS = 24;

function writeVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function varintLength(v: number): number {
  const out: number[] = [];
  writeVarint(out, v);
  return out.length;
}

const zigzag = (v: number): number => (v >= 0 ? 2 * v : -2 * v - 1);
const unzigzag = (u: number): number => (u % 2 === 0 ? u / 2 : -(u + 1) / 2);

/** Code lengths by symbol from counts (Huffman's algorithm on a sorted array, lengths capped at MAX_BITS by rescaling counts). */
function codeLengths(counts: Map<number, number>): Map<number, number> {
  const symbols = [...counts.keys()];
  if (symbols.length === 1) return new Map([[symbols[0]!, 1]]);
  let weights = symbols.map((s) => counts.get(s)!);
  for (;;) {
    type Tree = { w: number; leaves: number[] };
    let nodes: Tree[] = weights.map((w, i) => ({ w, leaves: [i] }));
    const depth = new Array<number>(symbols.length).fill(0);
    while (nodes.length > 1) {
      nodes.sort((a, b) => a.w - b.w);
      const [a, b] = [nodes[0]!, nodes[1]!];
      for (const l of [...a.leaves, ...b.leaves]) depth[l]! += 1;
      nodes = [{ w: a.w + b.w, leaves: [...a.leaves, ...b.leaves] }, ...nodes.slice(2)];
    }
    if (Math.max(...depth) <= MAX_BITS) return new Map(symbols.map((s, i) => [s, depth[i]!]));
    // Flatten the distribution and retry (rare: needs Fibonacci-like counts).
    weights = weights.map((w) => Math.max(1, w >> 1));
  }
}

/** Canonical codes (by length, then symbol) for the given lengths. */
function canonical(lengths: ReadonlyArray<readonly [number, number]>): Array<{ symbol: number; len: number; code: number }> {
  const sorted = [...lengths].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  let code = 0;
  let prev = sorted[0]![1];
  return sorted.map(([symbol, len]) => {
    code <<= len - prev;
    prev = len;
    return { symbol, len, code: code++ };
  });
}

/** Bits per code length in the range form of the table (lengths 0..24; 0 = symbol absent). */
const RANGE_LENGTH_BITS = 5;

/** Range-form code-length table: zigzag varint of the smallest symbol, varint span, then one 5-bit length per symbol of the span (LSB first). */
function rangeTable(table: ReadonlyArray<{ symbol: number; len: number }>): number[] {
  const lo = Math.min(...table.map((t) => t.symbol));
  const span = Math.max(...table.map((t) => t.symbol)) - lo + 1;
  const out: number[] = [];
  writeVarint(out, zigzag(lo));
  writeVarint(out, span);
  const packed = new Uint8Array(Math.ceil((span * RANGE_LENGTH_BITS) / 8));
  for (const { symbol, len } of table) {
    const bit = (symbol - lo) * RANGE_LENGTH_BITS;
    for (let k = 0; k < RANGE_LENGTH_BITS; k++) if ((len >> k) & 1) packed[(bit + k) >> 3]! |= 1 << ((bit + k) & 7);
  }
  out.push(...packed);
  return out;
}

/**
 * Canonical Huffman coding of integers (e.g. quantized or clustered weight indices). Layout:
 * varint value count, varint distinct-symbol count m, the code-length table, then the codes
 * MSB-first, zero-padded to a byte. The table is a list (per symbol its zigzag varint and code
 * length, 1 byte) or, when smaller, a range: a 0 byte, then m, then the range form (zigzag varint
 * smallest symbol, varint span, a 5-bit length per symbol of the span, 0 = absent).
 */
export function huffmanEncode(values: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  writeVarint(out, values.length);
  if (values.length === 0) {
    writeVarint(out, 0);
    return Uint8Array.from(out);
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i]!, (counts.get(values[i]!) ?? 0) + 1);
  const lengths = codeLengths(counts);
  const table = canonical([...lengths]);
  const list: number[] = [];
  writeVarint(list, lengths.size);
  for (const { symbol, len } of table) {
    writeVarint(list, zigzag(symbol));
    list.push(len);
  }
  const span = Math.max(...table.map((t) => t.symbol)) - Math.min(...table.map((t) => t.symbol)) + 1;
  const range = span <= 4 * list.length ? [0, ...list.slice(0, varintLength(lengths.size)), ...rangeTable(table)] : undefined;
  out.push(...(range && range.length < list.length ? range : list));
  const bySymbol = new Map(table.map((t) => [t.symbol, t]));
  let acc = 0;
  let nbits = 0;
  for (let i = 0; i < values.length; i++) {
    const { len, code } = bySymbol.get(values[i]!)!;
    for (let b = len - 1; b >= 0; b--) {
      acc = (acc << 1) | ((code >>> b) & 1);
      if (++nbits === 8) {
        out.push(acc);
        acc = 0;
        nbits = 0;
      }
    }
  }
  if (nbits > 0) out.push(acc << (8 - nbits));
  return Uint8Array.from(out);
}

/**
 * Decodes {@link huffmanEncode}'s output. Every field is checked before use: truncated varints,
 * code lengths outside 1..24, an over-full (Kraft sum > 1) code, more values than `maxValues`,
 * a stream that ends early, a code that matches no symbol, trailing bytes or nonzero padding
 * bits throw a SerializationError naming `file`.
 */
export function huffmanDecode(bytes: Uint8Array, options: { maxValues?: number; file?: string } = {}): Int32Array {
  const file = options.file ?? 'huffman stream';
  const fail = (msg: string, details: Record<string, unknown> = {}): never => {
    throw new SerializationError(`huffman: ${msg}`, file, details);
  };
  let pos = 0;
  const varint = (what: string): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= bytes.length) return fail(`truncated ${what}`, { offset: pos });
      const b = bytes[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    return fail(`${what} varint is too long`, { offset: pos });
  };
  const n = varint('value count');
  if (n > (options.maxValues ?? 1 << 28)) fail(`declares ${n} values, more than allowed`, { count: n });
  let m = varint('symbol count');
  if (n === 0) {
    if (m !== 0 || pos !== bytes.length) fail('an empty stream has symbols or trailing bytes', { offset: pos });
    return new Int32Array(0);
  }
  const rangeForm = m === 0;
  if (rangeForm) m = varint('symbol count');
  if (m === 0 || m > n) fail(`symbol count ${m} does not fit ${n} values`, { symbols: m });
  const lengths: Array<[number, number]> = [];
  let kraft = 0;
  const add = (s: number, len: number): void => {
    if (!Number.isSafeInteger(s) || s < -(2 ** 31) || s >= 2 ** 31) fail(`symbol ${s} is not an int32`);
    if (len < 1 || len > MAX_BITS) fail(`code length ${len} outside 1..${MAX_BITS}`, { symbol: s });
    kraft += 2 ** -len;
    lengths.push([s, len]);
  };
  if (rangeForm) {
    const lo = unzigzag(varint('smallest symbol'));
    const span = varint('symbol span');
    const size = Math.ceil((span * RANGE_LENGTH_BITS) / 8);
    if (span < m || pos + size > bytes.length) fail(`symbol span ${span} does not fit ${m} symbols and the stream`, { offset: pos });
    for (let i = 0, bit = pos * 8; i < span; i++) {
      let len = 0;
      for (let k = 0; k < RANGE_LENGTH_BITS; k++, bit++) len |= ((bytes[bit >> 3]! >> (bit & 7)) & 1) << k;
      if (len > 0) add(lo + i, len);
    }
    pos += size;
    if (lengths.length !== m) fail(`the range table holds ${lengths.length} symbols, the stream says ${m}`, { symbols: lengths.length });
  } else {
    for (let i = 0; i < m; i++) {
      const s = unzigzag(varint('symbol'));
      if (pos >= bytes.length) fail('truncated code length', { offset: pos });
      add(s, bytes[pos++]!);
    }
  }
  if (kraft > 1 + 1e-12) fail('code lengths over-fill the code space (Kraft sum > 1)', { kraft });
  // Canonical decoding tables: first code and first index per length.
  const table = canonical(lengths);
  const firstCode = new Array<number>(MAX_BITS + 2).fill(0);
  const firstIndex = new Array<number>(MAX_BITS + 2).fill(0);
  const countOf = new Array<number>(MAX_BITS + 2).fill(0);
  for (const t of table) countOf[t.len]! += 1;
  for (let i = 0, len = 1; len <= MAX_BITS; len++) {
    const first = table[i];
    firstIndex[len] = i;
    firstCode[len] = first && first.len === len ? first.code : 0;
    i += countOf[len]!;
  }
  const out = new Int32Array(n);
  let bitPos = pos * 8;
  const endBits = bytes.length * 8;
  for (let k = 0; k < n; k++) {
    let code = 0;
    let len = 0;
    for (;;) {
      if (bitPos >= endBits) fail(`stream ends after ${k} of ${n} values`, { decoded: k });
      code = (code << 1) | ((bytes[bitPos >> 3]! >> (7 - (bitPos & 7))) & 1);
      bitPos++;
      len++;
      if (len > MAX_BITS) fail(`no symbol has code ${code.toString(2)}`, { decoded: k });
      const c = countOf[len]!;
      if (c > 0 && code >= firstCode[len]! && code - firstCode[len]! < c) {
        out[k] = table[firstIndex[len]! + code - firstCode[len]!]!.symbol;
        break;
      }
    }
  }
  const used = Math.ceil(bitPos / 8);
  if (used !== bytes.length) fail(`${bytes.length - used} trailing bytes after ${n} values`, { offset: used });
  if ((bitPos & 7) !== 0 && (bytes[used - 1]! & ((1 << (8 - (bitPos & 7))) - 1)) !== 0) fail('nonzero padding bits after the last code', { offset: used - 1 });
  return out;
}
