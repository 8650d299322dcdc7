import type * as tf from '@tensorflow/tfjs-core';
import { heapBackend } from './tensor-values';

/**
 * Two tiny hand-assembled WebAssembly kernels (SIMD) that run *inside the wasm backend's heap*:
 * they import the backend's own `WebAssembly.Memory`, so they read tensors in place and write
 * into buffers from the backend's `malloc`. tfjs has no fused "sum |w| over all axes but one"
 * kernel, and a JS loop over a ResNet-50 (25M weights) costs several times a SIMD pass:
 * - `rows(src, rows, cols, colOut, rowOut)`: for a row-major `[rows, cols]` float32 matrix (cols
 *   even), adds `|w|` (or `w^2`) of every column into `colOut` (float64, row by row, the same
 *   order as a scalar loop) and writes each row's total to `rowOut` (float64, 8 partial sums).
 * - `copy(out, bases, n, offs, m, block)`: for each of the `n` byte addresses in `bases` and
 *   each of the `m` byte offsets in `offs` (int32 arrays), copies `block` bytes from
 *   `base + off` to `out` (advancing): the gather of a multi-axis slice.
 */
interface Kernels {
  readonly absRows: (src: number, rows: number, cols: number, colOut: number, rowOut: number) => void;
  readonly squareRows: (src: number, rows: number, cols: number, colOut: number, rowOut: number) => void;
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
} as const;
const simd = (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm];
const v128Load = (offset: number) => simd(0x00, 4, ...uleb(offset));
const v128Store = (offset: number) => simd(0x0b, 4, ...uleb(offset));
const load64Zero = (offset: number) => simd(0x5d, 3, ...uleb(offset));
const promoteLow = simd(0x5f);
const f64x2Abs = simd(0xec);
const f64x2Add = simd(0xf0);
const f64x2Mul = simd(0xf2);
const f64x2Lane = (lane: number) => simd(0x21, lane);
const v128Zero = simd(0x0c, ...new Array<number>(16).fill(0));
const memoryCopy = [0xfc, ...uleb(10), 0, 0];

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
/** `local[i] += n` */
const addTo = (i: number, n: number) => [...get(i), ...i32(n), op.i32Add, ...set(i)];

/** Body of a rows kernel; `magnitude` turns the f64x2 on the stack into |v| or v^2 (using local `tmp`). */
function rowsBody(square: boolean): number[] {
  // params: 0 src, 1 rows, 2 cols, 3 colOut, 4 rowOut; locals: 5 r, 6 c, 7 colPtr, 8 end8, 9..12 acc, 13 v
  const [src, rows, cols, colOut, rowOut, r, c, colPtr, end8, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 13];
  const acc = (k: number) => 9 + k;
  const mag = square ? [op.tee, v, ...get(v), ...f64x2Mul] : f64x2Abs;
  const pair = (k: number, accK: number) => [
    // v = |promote(load64_zero(src + 8k))|
    ...get(src), ...load64Zero(8 * k), ...promoteLow, ...mag, ...set(v),
    // colOut[colPtr + 16k] += v
    ...get(colPtr), ...get(colPtr), ...v128Load(16 * k), ...get(v), ...f64x2Add, ...v128Store(16 * k),
    ...get(acc(accK)), ...get(v), ...f64x2Add, ...set(acc(accK)),
  ];
  return [
    ...locals([[4, I32], [5, V128]]),
    ...get(cols), ...i32(-8), op.i32And, ...set(end8),
    op.block, 0x40, op.loop, 0x40,
    ...get(r), ...get(rows), op.i32GeU, op.brIf, 1,
    ...[0, 1, 2, 3].flatMap((k) => [...v128Zero, ...set(acc(k))]),
    ...i32(0), ...set(c), ...get(colOut), ...set(colPtr),
    // 8 values per iteration, 4 independent accumulators
    op.block, 0x40, op.loop, 0x40,
    ...get(c), ...get(end8), op.i32GeU, op.brIf, 1,
    ...pair(0, 0), ...pair(1, 1), ...pair(2, 2), ...pair(3, 3),
    ...addTo(src, 32), ...addTo(colPtr, 64), ...addTo(c, 8),
    op.br, 0, op.end, op.end,
    // the rest, 2 values at a time (cols is even)
    op.block, 0x40, op.loop, 0x40,
    ...get(c), ...get(cols), op.i32GeU, op.brIf, 1,
    ...pair(0, 0),
    ...addTo(src, 8), ...addTo(colPtr, 16), ...addTo(c, 2),
    op.br, 0, op.end, op.end,
    // rowOut[r] = lanes of ((acc0 + acc1) + (acc2 + acc3)) summed
    ...get(acc(0)), ...get(acc(1)), ...f64x2Add, ...get(acc(2)), ...get(acc(3)), ...f64x2Add, ...f64x2Add, ...set(v),
    ...get(rowOut), ...get(r), ...i32(8), op.i32Mul, op.i32Add,
    ...get(v), ...f64x2Lane(0), ...get(v), ...f64x2Lane(1), op.f64Add, op.f64Store, 3, 0,
    ...addTo(r, 1),
    op.br, 0, op.end, op.end,
    op.end,
  ];
}

/** Body of a copy kernel: 4-byte element copies, or `memory.copy` of `block` bytes. */
function copyBody(elementwise: boolean): number[] {
  // params: 0 out, 1 bases, 2 n, 3 offs, 4 m, 5 block; locals: 6 i, 7 j, 8 base, 9 offPtr
  const [out, bases, n, offs, m, block, i, j, base, offPtr] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const from = [...get(base), ...get(offPtr), op.i32Load, 2, 0, op.i32Add];
  const one = elementwise
    ? [...get(out), ...from, op.i32Load, 2, 0, op.i32Store, 2, 0, ...addTo(out, 4)]
    : [...get(out), ...from, ...get(block), ...memoryCopy, ...get(out), ...get(block), op.i32Add, ...set(out)];
  return [
    ...locals([[4, I32]]),
    op.block, 0x40, op.loop, 0x40,
    ...get(i), ...get(n), op.i32GeU, op.brIf, 1,
    ...get(bases), op.i32Load, 2, 0, ...set(base), ...addTo(bases, 4),
    ...i32(0), ...set(j), ...get(offs), ...set(offPtr),
    op.block, 0x40, op.loop, 0x40,
    ...get(j), ...get(m), op.i32GeU, op.brIf, 1,
    ...one,
    ...addTo(offPtr, 4), ...addTo(j, 1),
    op.br, 0, op.end, op.end,
    ...addTo(i, 1),
    op.br, 0, op.end, op.end,
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
    ...section(1, vec([fnType(5), fnType(6)])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0], [0], [1], [1]])),
    ...section(7, vec(names.map((n, i) => [...name(n), 0x00, i]))),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
  return bytesCache;
}
