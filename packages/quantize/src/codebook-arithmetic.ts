import { bitContext, RangeDecoder, RangeEncoder, type BitContext } from './range-coder';

/**
 * The arithmetic-coded body of a codebook segment: which positions are nonzero and each
 * nonzero's centroid index, range-coded (range-coder.ts) under adaptive contexts, with no code
 * tables. A position's context is whether its row (the elements sharing every index but the last:
 * a dense kernel's input feature, a conv kernel's tap and input channel) and its column (the last
 * index: the output unit) already hold a nonzero, and whether the element before it is one, so
 * dead inputs and outputs that magnitude pruning leaves cost little. Indices are coded bit by bit
 * down a binary tree with one context per node. Coding stops after the last nonzero (the manifest
 * gives their count); an 8-bit hash of the positions and indices follows, so a truncated or
 * shifted segment is an error rather than other weights.
 */
class PositionModel {
  private readonly contexts = Array.from({ length: 8 }, bitContext);
  private readonly rowHas: Uint8Array;
  private readonly colHas: Uint8Array;
  readonly cols: number;
  private prev = 0;

  constructor(shape: readonly number[]) {
    const n = shape.reduce((a, b) => a * b, 1);
    this.cols = shape.length > 1 ? shape[shape.length - 1]! : Math.max(1, n);
    this.rowHas = new Uint8Array(Math.ceil(n / this.cols));
    this.colHas = new Uint8Array(this.cols);
  }

  context(i: number): BitContext {
    const row = Math.floor(i / this.cols);
    const col = i - row * this.cols;
    if (col === 0) this.prev = 0;
    return this.contexts[this.rowHas[row]! * 4 + this.colHas[col]! * 2 + this.prev]!;
  }

  seen(i: number, bit: number): void {
    this.prev = bit;
    if (bit === 0) return;
    const row = Math.floor(i / this.cols);
    this.rowHas[row] = 1;
    this.colHas[i - row * this.cols] = 1;
  }
}

/** 8-bit FNV-1a hash of the positions and indices. */
function check(positions: ArrayLike<number>, ids: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < positions.length; i++) {
    h = Math.imul(h ^ positions[i]!, 16777619);
    h = Math.imul(h ^ ids[i]!, 16777619);
  }
  return (h ^ (h >>> 8) ^ (h >>> 16) ^ (h >>> 24)) & 0xff;
}

const CHECK_BITS = 8;

/** Bits of a centroid index among `k`. */
const indexBits = (k: number): number => (k <= 1 ? 0 : Math.ceil(Math.log2(k)));

/** Range-codes the nonzero positions `nz` (ascending) of a param of `shape` and their centroid indices `ids` among `k`. */
export function encodeArithmetic(shape: readonly number[], nz: readonly number[], ids: Int32Array, k: number): Uint8Array {
  const enc = new RangeEncoder();
  const positions = new PositionModel(shape);
  const bits = indexBits(k);
  const tree = Array.from({ length: 2 ** bits }, bitContext);
  let next = 0;
  const last = nz.length > 0 ? nz[nz.length - 1]! : -1;
  for (let i = 0; i <= last; i++) {
    const bit = nz[next] === i ? 1 : 0;
    enc.encode(positions.context(i), bit);
    positions.seen(i, bit);
    if (bit === 0) continue;
    const id = ids[next++]!;
    for (let b = bits - 1, node = 1; b >= 0; b--) {
      const v = (id >> b) & 1;
      enc.encode(tree[node]!, v);
      node = 2 * node + v;
    }
  }
  const h = check(nz, ids);
  for (let b = 0; b < CHECK_BITS; b++) enc.encode(bitContext(), (h >> b) & 1);
  return enc.finish();
}

/**
 * Decodes {@link encodeArithmetic}'s `bytes[start, end)` to `nnz` positions in a param of
 * `shape` and their centroid indices; `fail` is called with what is wrong when the stream cannot
 * be a valid one (an index outside `k`, fewer nonzeros than `nnz`, a corrupt range).
 */
export function decodeArithmetic(bytes: Uint8Array, start: number, end: number, shape: readonly number[], nnz: number, k: number, fail: (msg: string) => never): { positions: Int32Array; ids: Int32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const dec = new RangeDecoder(bytes, start, end);
  const model = new PositionModel(shape);
  const bits = indexBits(k);
  const tree = Array.from({ length: 2 ** bits }, bitContext);
  const positions = new Int32Array(nnz);
  const ids = new Int32Array(nnz);
  let count = 0;
  for (let i = 0; i < n && count < nnz; i++) {
    const bit = dec.decode(model.context(i));
    model.seen(i, bit);
    if (bit === 0) continue;
    let node = 1;
    for (let b = 0; b < bits; b++) node = 2 * node + dec.decode(tree[node]!);
    const id = node - 2 ** bits;
    if (id >= k) fail(`centroid index ${id} outside [0, ${k})`);
    positions[count] = i;
    ids[count++] = id;
  }
  if (count !== nnz) fail(`${count} nonzero positions in ${n} values, the manifest says ${nnz}`);
  let h = 0;
  for (let b = 0; b < CHECK_BITS; b++) h |= dec.decode(bitContext()) << b;
  if (h !== check(positions, ids) || !dec.valid) fail('arithmetic-coded positions fail their check (truncated, shifted or corrupt segment)');
  return { positions, ids };
}
