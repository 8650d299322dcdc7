import { BackendError } from '@bonsai/core';
import { relaxedSimdSupported, simd128Supported } from './detect';

/** Which build of the kernels runs: SIMD128 everywhere, relaxed SIMD where the engine has it. */
export type KernelVariant = 'simd128' | 'relaxed';

/** Exports of the kernel modules (pointers are byte offsets into `memory`). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  gemmI16(M: number, N: number, kp: number, a: number, b: number, ep: number, zpOut: number, lo: number, hi: number, out: number, outStride: number): void;
  im2colI16(x: number, H: number, W: number, C: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number, oy0: number, oy1: number, OW: number, zx: number, kp: number, out: number): void;
  widenRowsI16(x: number, M: number, K: number, lda: number, zx: number, kp: number, out: number): void;
  depthwiseI16(x: number, H: number, W: number, C: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number, OH: number, OW: number, zx: number, w: number, wp: number, ep: number, zpOut: number, lo: number, hi: number, out: number, scratch: number): void;
  addI8(a: number, za: number, sa: number, b: number, zb: number, sb: number, n: number, so: number, zo: number, lo: number, hi: number, out: number): void;
  maxPoolI8(x: number, H: number, W: number, C: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, OH: number, OW: number, out: number): void;
  globalAvgPoolI8(x: number, n: number, HW: number, C: number, zx: number, mult: number, zpOut: number, lo: number, hi: number, out: number, scratch: number): void;
  quantizeF32(src: number, n: number, s: number, zpOut: number, lo: number, hi: number, out: number): void;
  dequantizeI8(src: number, n: number, s: number, zp: number, out: number): void;
  lookupI8(src: number, n: number, table: number, out: number): void;
  gemmI16F32(M: number, N: number, kp: number, a: number, b: number, ep: number, out: number, outStride: number): void;
  packB16(b: number, K: number, N: number, ldk: number, ldn: number, zb: number, kp: number, out: number): void;
  /** Relaxed build only: 1 when packed, 0 when B holds -128. */
  packB8?(b: number, K: number, N: number, ldk: number, ldn: number, za: number, kp: number, out: number, corr: number): number;
  /** Relaxed build only: gemmI8Relaxed with float32 outputs. */
  gemmI8RelaxedF32?(M: number, N: number, kp: number, a: number, lda: number, b: number, corr: number, ep: number, out: number, outStride: number): void;
  /** Relaxed build only: gemmI8RelaxedAdd with float32 outputs. */
  gemmI8RelaxedAddF32?(M: number, N: number, kp: number, a: number, lda: number, b: number, corr: number, ep: number, out: number, outStride: number): void;
  /** Relaxed build only. */
  gemmI8Relaxed?(M: number, N: number, kp: number, a: number, lda: number, b: number, corr: number, ep: number, zpOut: number, lo: number, hi: number, out: number, outStride: number): void;
  /** Relaxed build only: gemmI8Relaxed on i32x4.relaxed_dot_i8x16_i7x16_add_s (only where {@link dotAddExact}). */
  gemmI8RelaxedAdd?(M: number, N: number, kp: number, a: number, lda: number, b: number, corr: number, ep: number, zpOut: number, lo: number, hi: number, out: number, outStride: number): void;
  /** Relaxed build only: i32x4.relaxed_dot_i8x16_i7x16_add_s of the vectors at a, b and c, stored at out. */
  probeDotAdd?(a: number, b: number, c: number, out: number): void;
  /** Relaxed build only. */
  im2colI8?(x: number, H: number, W: number, C: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number, oy0: number, oy1: number, OW: number, zx: number, kp: number, out: number): void;
}

/** Where the built modules live: next to the bundle (dist/) and, from the sources, in ../dist. */
export const WASM_URLS: Readonly<Record<KernelVariant, URL>> = {
  simd128: new URL('../dist/int8-simd128.wasm', import.meta.url),
  relaxed: new URL('../dist/int8-relaxed.wasm', import.meta.url),
};

async function readWasm(url: URL): Promise<ArrayBuffer> {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    const b = await readFile(url);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  const res = await fetch(url);
  if (!res.ok) throw new BackendError(`int8 kernels: fetching ${url.href} gave HTTP ${res.status}`, 'int8-wasm');
  return res.arrayBuffer();
}

/** Options of {@link instantiateKernels}. */
export interface InstantiateOptions {
  /** 'auto' (default): relaxed when {@link relaxedSimdSupported}, else SIMD128. */
  variant?: KernelVariant | 'auto';
  /** The module's bytes or URL (default: the .wasm shipped in this package). */
  wasm?: BufferSource | URL | string;
}

/**
 * Runs `i32x4.relaxed_dot_i8x16_i7x16_add_s` once on fixed operands (second operand in [0, 127],
 * where the result is specified exactly) and compares it with the exact integers: Chromium's V8
 * computes it right, Node 20's returns twice the dot product and drops the accumulator.
 */
export function dotAddExact(k: KernelExports): boolean {
  if (!k.probeDotAdd) return false;
  const at = 65536 - 256; // below the arena (Arena's base), above the module's static data
  const a = Int8Array.from({ length: 16 }, (_, i) => ((i * 37) % 256) - 128);
  const b = Int8Array.from({ length: 16 }, (_, i) => (i * 53) % 128);
  const c = Int32Array.from([1000, -7, 3, 123456]);
  new Int8Array(k.memory.buffer, at, 16).set(a);
  new Int8Array(k.memory.buffer, at + 16, 16).set(b);
  new Int32Array(k.memory.buffer, at + 32, 4).set(c);
  k.probeDotAdd(at, at + 16, at + 32, at + 64);
  const got = new Int32Array(k.memory.buffer, at + 64, 4);
  for (let l = 0; l < 4; l++) {
    let want = c[l]!;
    for (let j = 0; j < 4; j++) want += a[4 * l + j]! * b[4 * l + j]!;
    if (got[l] !== want) return false;
  }
  return true;
}

/** Compiles and instantiates one build of the kernels. */
export async function instantiateKernels(options: InstantiateOptions = {}): Promise<{ variant: KernelVariant; exports: KernelExports }> {
  if (!simd128Supported()) throw new BackendError('int8 kernels need WebAssembly SIMD128 (Node 16.4+, Chromium 91+, Firefox 89+, Safari 16.4+)', 'int8-wasm');
  const requested = options.variant ?? 'auto';
  const variant: KernelVariant = requested === 'auto' ? (relaxedSimdSupported() ? 'relaxed' : 'simd128') : requested;
  if (variant === 'relaxed' && !relaxedSimdSupported()) {
    throw new BackendError("int8 kernels: this engine has no relaxed SIMD (Node needs --experimental-wasm-relaxed-simd); use variant 'simd128' or 'auto'", 'int8-wasm');
  }
  const src = options.wasm ?? WASM_URLS[variant];
  let bytes: BufferSource;
  try {
    bytes = src instanceof URL || typeof src === 'string' ? await readWasm(new URL(src)) : src;
  } catch (e) {
    if (e instanceof BackendError) throw e;
    throw new BackendError(`int8 kernels: cannot read ${String(src)} (${(e as Error).message}); build the package (npm run build) or pass options.wasm`, 'int8-wasm');
  }
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const exports = instance.exports as unknown as KernelExports;
  if (variant === 'relaxed' && !exports.gemmI8Relaxed) throw new BackendError('int8 kernels: the relaxed module lacks gemmI8Relaxed (wrong .wasm passed?)', 'int8-wasm');
  return { variant, exports };
}

/**
 * A bump allocator over the module's memory: layers allocate their packed weights once;
 * a run allocates scratch after a mark and releases back to it.
 */
export class Arena {
  private top: number;

  constructor(private readonly memory: WebAssembly.Memory, base = 65536) {
    this.top = base;
  }

  /** Allocates `bytes` aligned to 16 and returns the byte offset (grows memory as needed). */
  alloc(bytes: number): number {
    const p = (this.top + 15) & ~15;
    const end = p + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
    this.top = end;
    return p;
  }

  /** Current top, to {@link release} to later. */
  mark(): number {
    return this.top;
  }

  /** Frees everything allocated after `mark`. */
  release(mark: number): void {
    this.top = mark;
  }

  /** Bytes in use. */
  get used(): number {
    return this.top;
  }

  /** The memory's buffer (re-read after every allocation: growing replaces it). */
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }
}
