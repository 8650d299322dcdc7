import type * as tf from '@tensorflow/tfjs-core';
import { heapBackend } from './tensor-values';

/**
 * Two tiny hand-assembled WebAssembly kernels (SIMD) that run *inside the wasm backend's heap*:
 * they import the backend's own `WebAssembly.Memory`, so they read tensors in place and write
 * into buffers from the backend's `malloc`. tfjs has no fused "sum |w| over all axes but one"
 * kernel, and a JS loop over a ResNet-50 (25M weights) costs several times a SIMD pass:
 * - `rows(src, rows, cols, colOut, rowOut, scratch)`: for a row-major `[rows, cols]` float32
 *   matrix (cols a multiple of 4), adds `|w|` (or `w^2`) of every column into `colOut` (float64:
 *   float32 sums over blocks of {@link ROW_BLOCK} rows, kept in `scratch`, cols float32) and writes
 *   each row's total to `rowOut` (float64 sums of float32 sums of 16 values).
 * - `copy(out, bases, n, offs, m, block)`: for each of the `n` byte addresses in `bases` and
 *   each of the `m` byte offsets in `offs` (int32 arrays), copies `block` bytes from
 *   `base + off` to `out` (advancing): the gather of a multi-axis slice.
 */
interface Kernels {
  readonly absRows: (src: number, rows: number, cols: number, colOut: number, rowOut: number, scratch: number) => void;
  readonly squareRows: (src: number, rows: number, cols: number, colOut: number, rowOut: number, scratch: number) => void;
  readonly copy4: (out: number, bases: number, n: number, offs: number, m: number, block: number) => void;
  readonly copyBlock: (out: number, bases: number, n: number, offs: number, m: number, block: number) => void;
}

/** The parts of the wasm backend's emscripten module the kernels use. */
interface WasmModule {
  readonly asm: { readonly memory: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

/** Kernels bound to one wasm backend's heap, with its allocator. */
export interface HeapKernels extends Kernels {
  readonly memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

const cache = new WeakMap<WebAssembly.Memory, HeapKernels | null>();

/**
 * The kernels for the wasm backend holding `t`, or undefined (another backend, no SIMD, or an
 * engine without WebAssembly): callers then take their JS path.
 */
export function heapKernelsFor(t: tf.Tensor): HeapKernels | undefined {
  const backend = heapBackend(t) as unknown as { wasm?: Partial<WasmModule> } | undefined;
  const wasm = backend?.wasm;
  const memory = wasm?.asm?.memory;
  if (!wasm || !(memory instanceof WebAssembly.Memory) || typeof wasm._malloc !== 'function' || typeof wasm._free !== 'function') return undefined;
  let k = cache.get(memory);
  if (k === undefined) {
    k = instantiate(memory, wasm as WasmModule);
    cache.set(memory, k);
  }
  return k ?? undefined;
}

function instantiate(memory: WebAssembly.Memory, wasm: WasmModule): HeapKernels | null {
  try {
    const bytes = moduleBytes();
    if (!WebAssembly.validate(bytes)) return null;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const e = instance.exports as unknown as Kernels;
    return {
      absRows: e.absRows, squareRows: e.squareRows, copy4: e.copy4, copyBlock: e.copyBlock, memory,
      malloc: (n) => wasm._malloc(n), free: (p) => wasm._free(p),
    };
  } catch {
    return null;
  }
}

// ---- the module, assembled by hand (WebAssembly binary format 1.0 + SIMD + bulk memory) ----

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d,
  get: 0x20, set: 0x21, tee: 0x22, i32Const: 0x41,
  i32Load: 0x28, i32Store: 0x36, f64Store: 0x39,
  i32GeU: 0x4f, i32Add: 0x6a, i32Mul: 0x6c, i32And: 0x71, f64Add: 0xa0,
  if: 0x04, i32Eqz: 0x45, i32Eq: 0x46, i32Or: 0x72,
} as const;
const simd = (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm];
const v128Load = (offset: number) => simd(0x00, 4, ...uleb(offset));
const v128Store = (offset: number) => simd(0x0b, 4, ...uleb(offset));
const promoteLow = simd(0x5f);
const f32x4Abs = simd(0xe0);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const f64x2Add = simd(0xf0);
/** i8x16.shuffle of a vector with itself: lanes 2, 3 (as float32) to lanes 0, 1. */
const highToLow = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
const f64x2Lane = (lane: number) => simd(0x21, lane);
const i32x4Lane = (lane: number) => simd(0x1b, lane);
const i32x4Splat = simd(0x11);
const i32x4Add = simd(0xae);
const load32Lane = (lane: number) => simd(0x56, 2, 0, lane);
const v128Zero = simd(0x0c, ...new Array<number>(16).fill(0));
const memoryCopy = [0xfc, ...uleb(10), 0, 0];
const memoryFill = [0xfc, ...uleb(11), 0];
/** Rows per float32 block of column sums in the rows kernels. */
const ROW_BLOCK = 8;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const get = (i: number) => [op.get, i];
const set = (i: number) => [op.set, i];
const i32 = (n: number) => [op.i32Const, ...sleb(n)];
/** `while (!cond) { body }`: a block around a loop that exits when `cond` is true. */
const loop = (cond: number[], body: number[]) => [op.block, 0x40, op.loop, 0x40, ...cond, op.brIf, 1, ...body, op.br, 0, op.end, op.end];
/** `local[i] += n` */
const addTo = (i: number, n: number) => [...get(i), ...i32(n), op.i32Add, ...set(i)];

/**
 * Body of a rows kernel; `square` picks v^2 over |v|. Float32 lanes, 4 at a time: each column is
 * summed in float32 over blocks of {@link ROW_BLOCK} rows (in `scratch`), and each block's sums
 * are added to the float64 `colOut`; each row's total adds float32 sums of 16 values in float64.
 */
function rowsBody(square: boolean): number[] {
  // params: 0 src, 1 rows, 2 cols, 3 colOut, 4 rowOut, 5 scratch
  // locals: 6 r, 7 c, 8 sp, 9 end16, 10 cp; 11 accLo, 12 accHi, 13 v, 14 s
  const [src, rows, cols, colOut, rowOut, scratch, r, c, sp, end16, cp, accLo, accHi, v, s] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const mag = square ? [op.tee, v, ...get(v), ...f32x4Mul] : f32x4Abs;
  /** `local[into] += promote(low 2 lanes of local[from])`, and the high 2 lanes into `local[intoHi]`. */
  const addPromoted = (from: number, into: number, intoHi: number) => [
    ...get(into), ...get(from), ...promoteLow, ...f64x2Add, ...set(into),
    ...get(intoHi), ...get(from), ...get(from), ...highToLow, ...promoteLow, ...f64x2Add, ...set(intoHi),
  ];
  /** v = mag(src[16k]); scratch[sp + 16k] += v; then s = v (k = 0) or s += v. */
  const quad = (k: number) => [
    ...get(src), ...v128Load(16 * k), ...mag, ...set(v),
    ...get(sp), ...get(sp), ...v128Load(16 * k), ...get(v), ...f32x4Add, ...v128Store(16 * k),
    ...(k === 0 ? [...get(v), ...set(s)] : [...get(s), ...get(v), ...f32x4Add, ...set(s)]),
  ];
  const flush = [
    ...i32(0), ...set(c), ...get(scratch), ...set(sp), ...get(colOut), ...set(cp),
    ...loop([...get(c), ...get(cols), op.i32GeU], [
      ...get(sp), ...v128Load(0), ...set(v),
      ...get(cp), ...get(cp), ...v128Load(0), ...get(v), ...promoteLow, ...f64x2Add, ...v128Store(0),
      ...get(cp), ...get(cp), ...v128Load(16), ...get(v), ...get(v), ...highToLow, ...promoteLow, ...f64x2Add, ...v128Store(16),
      ...get(sp), ...v128Zero, ...v128Store(0),
      ...addTo(sp, 16), ...addTo(cp, 32), ...addTo(c, 4),
    ]),
  ];
  return [
    ...locals([[5, I32], [4, V128]]),
    ...get(cols), ...i32(-16), op.i32And, ...set(end16),
    ...get(scratch), ...i32(0), ...get(cols), ...i32(4), op.i32Mul, ...memoryFill,
    ...loop([...get(r), ...get(rows), op.i32GeU], [
      ...v128Zero, ...set(accLo), ...v128Zero, ...set(accHi),
      ...i32(0), ...set(c), ...get(scratch), ...set(sp),
      // 16 values per iteration
      ...loop([...get(c), ...get(end16), op.i32GeU], [
        ...quad(0), ...quad(1), ...quad(2), ...quad(3),
        ...addPromoted(s, accLo, accHi),
        ...addTo(src, 64), ...addTo(sp, 64), ...addTo(c, 16),
      ]),
      // the rest, 4 at a time (cols % 4 === 0)
      ...loop([...get(c), ...get(cols), op.i32GeU], [
        ...quad(0), ...addPromoted(s, accLo, accHi),
        ...addTo(src, 16), ...addTo(sp, 16), ...addTo(c, 4),
      ]),
      // rowOut[r] = the lanes of accLo + accHi summed
      ...get(accLo), ...get(accHi), ...f64x2Add, ...set(accLo),
      ...get(rowOut), ...get(r), ...i32(8), op.i32Mul, op.i32Add,
      ...get(accLo), ...f64x2Lane(0), ...get(accLo), ...f64x2Lane(1), op.f64Add, op.f64Store, 3, 0,
      ...addTo(r, 1),
      // after every ROW_BLOCK rows and the last: colOut += scratch (float64), scratch = 0
      ...get(r), ...i32(ROW_BLOCK - 1), op.i32And, op.i32Eqz, ...get(r), ...get(rows), op.i32Eq, op.i32Or,
      op.if, 0x40, ...flush, op.end,
    ]),
    op.end,
  ];
}

/**
 * Body of a copy kernel: 4-byte element copies (4 at a time: the 4 addresses as one i32x4, loaded
 * lane by lane into a vector that is stored at once, then one by one), or `memory.copy` of `block` bytes.
 */
function copyBody(elementwise: boolean): number[] {
  // params: 0 out, 1 bases, 2 n, 3 offs, 4 m, 5 block; locals: 6 i, 7 j, 8 base, 9 offPtr, 10 m4; 11 addrs, 12 v
  const [out, bases, n, offs, m, block, i, j, base, offPtr, m4, addrs, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const from = [...get(base), ...get(offPtr), op.i32Load, 2, 0, op.i32Add];
  const one = elementwise
    ? [...get(out), ...from, op.i32Load, 2, 0, op.i32Store, 2, 0, ...addTo(out, 4)]
    : [...get(out), ...from, ...get(block), ...memoryCopy, ...get(out), ...get(block), op.i32Add, ...set(out)];
  const lane = (k: number) => [...get(addrs), ...i32x4Lane(k), ...get(v), ...load32Lane(k), ...set(v)];
  const four = [
    ...get(offPtr), ...v128Load(0), ...get(base), ...i32x4Splat, ...i32x4Add, ...set(addrs),
    ...lane(0), ...lane(1), ...lane(2), ...lane(3),
    ...get(out), ...get(v), ...v128Store(0),
    ...addTo(out, 16), ...addTo(offPtr, 16), ...addTo(j, 4),
  ];
  return [
    ...locals([[5, I32], [2, V128]]),
    ...get(m), ...i32(elementwise ? -4 : 0), op.i32And, ...set(m4),
    ...loop([...get(i), ...get(n), op.i32GeU], [
      ...get(bases), op.i32Load, 2, 0, ...set(base), ...addTo(bases, 4),
      ...i32(0), ...set(j), ...get(offs), ...set(offPtr),
      ...loop([...get(j), ...get(m4), op.i32GeU], four),
      ...loop([...get(j), ...get(m), op.i32GeU], [...one, ...addTo(offPtr, 4), ...addTo(j, 1)]),
      ...addTo(i, 1),
    ]),
    op.end,
  ];
}

function locals(groups: ReadonlyArray<readonly [number, number]>): number[] {
  return [...uleb(groups.length), ...groups.flatMap(([count, type]) => [...uleb(count), type])];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

let bytesCache: Uint8Array<ArrayBuffer> | undefined;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  if (bytesCache) return bytesCache;
  const fnType = (params: number) => [0x60, ...uleb(params), ...new Array<number>(params).fill(I32), 0];
  const bodies = [rowsBody(false), rowsBody(true), copyBody(true), copyBody(false)];
  const names = ['absRows', 'squareRows', 'copy4', 'copyBlock'];
  bytesCache = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType(6)])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0], [0], [0], [0]])),
    ...section(7, vec(names.map((n, i) => [...name(n), 0x00, i]))),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
  return bytesCache;
}
