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

/**
 * Canonical Huffman coding of integers (e.g. quantized or clustered weight indices). Layout:
 * varint value count, varint distinct-symbol count, per symbol its zigzag varint and code
 * length (1 byte), then the codes MSB-first, zero-padded to a byte.
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
  writeVarint(out, lengths.size);
  const table = canonical([...lengths]);
  for (const { symbol, len } of table) {
    writeVarint(out, zigzag(symbol));
    out.push(len);
  }
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
 * a stream that ends early or a code that matches no symbol throw a SerializationError naming `file`.
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
  const m = varint('symbol count');
  if (n === 0) return new Int32Array(0);
  if (m === 0 || m > n) fail(`symbol count ${m} does not fit ${n} values`, { symbols: m });
  const lengths: Array<[number, number]> = [];
  let kraft = 0;
  for (let i = 0; i < m; i++) {
    const s = unzigzag(varint('symbol'));
    if (!Number.isSafeInteger(s) || s < -(2 ** 31) || s >= 2 ** 31) fail(`symbol ${s} is not an int32`);
    if (pos >= bytes.length) fail('truncated code length', { offset: pos });
    const len = bytes[pos++]!;
    if (len < 1 || len > MAX_BITS) fail(`code length ${len} outside 1..${MAX_BITS}`, { symbol: s });
    kraft += 2 ** -len;
    lengths.push([s, len]);
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
  return out;
}
