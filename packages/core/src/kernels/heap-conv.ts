/**
 * Conv2d kernels as direct WebAssembly SIMD loops on the wasm backend's heap (./assembly/):
 * - the filter gradient, dW[i, j, ci, co] += x-patch * dy with 4 input x 8 output channels per
 *   register tile (no im2col tensor, no transposes, no XNNPACK repacking of x or dy);
 * - the forward conv, 4 output pixels x 8 output channels per tile, padding read from a block of
 *   zeros (no padded copy); conv.ts runs the forward pass and the input gradient's correlations
 *   with it.
 * The module imports the backend's own `WebAssembly.Memory`, reads tensors in place and writes
 * into tensors the backend allocated, through kernels registered on the wasm backend
 * ({@link FILTER_GRAD_KERNEL}, {@link CONV_KERNEL}).
 *
 * {@link simdFilterGrad} and {@link simdConv2d} return undefined where they cannot run (another
 * backend, the threaded wasm build whose memory is shared, no SIMD, non-float32 tensors, or
 * operands so close to the end of the heap that the kernels' over-reads would leave it): the
 * caller then takes the tfjs-op path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HEAP_CONV_WASM } from './heap-conv-wasm';

/** Name of the wasm-backend kernel that runs the filter gradient. */
export const FILTER_GRAD_KERNEL = 'BonsaiConv2DFilterGrad';
/** Name of the wasm-backend kernel that runs the forward conv. */
export const CONV_KERNEL = 'BonsaiConv2D';

/** Geometry of a conv (tfjs's padding rule; top / left may be negative = crop). */
export interface FilterGradGeometry {
  n: number;
  h: number;
  w: number;
  cin: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  top: number;
  left: number;
}

type ConvFn = (a: number, b: number, out: number, n: number, h: number, w: number, cin: number, oh: number, ow: number, cout: number,
  kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number) => void;
type ForwardFn = (x: number, f: number, y: number, zero: number, n: number, h: number, w: number, cin: number, oh: number, ow: number, cout: number,
  kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number) => void;

/** The module's exports, with a block of zeros in the heap for the forward kernel's padding. */
interface Instance {
  filterGrad: ConvFn;
  forward: ForwardFn;
  zero: { ptr: number; floats: number };
}

/** The parts of the wasm backend the kernels use. */
interface WasmBackendLike {
  wasm: { asm?: { memory?: WebAssembly.Memory }; _malloc?(bytes: number): number; _free?(ptr: number): void };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

const instances = new WeakMap<WebAssembly.Memory, Instance | null>();

function memoryOf(backend: unknown): WebAssembly.Memory | undefined {
  const b = backend as Partial<WasmBackendLike> | undefined;
  const m = b?.wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory && typeof b?.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? m : undefined;
}

/** The kernels bound to `memory`, or null when they cannot be instantiated there (a shared memory of the threaded build, no SIMD). */
function instanceFor(memory: WebAssembly.Memory): Instance | null {
  let k = instances.get(memory);
  if (k !== undefined) return k;
  k = null;
  try {
    const bytes = Uint8Array.from(atob(HEAP_CONV_WASM), (c) => c.charCodeAt(0));
    if (WebAssembly.validate(bytes)) {
      const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
      k = { filterGrad: e.conv2dFilterGrad as ConvFn, forward: e.conv2dForward as ForwardFn, zero: { ptr: 0, floats: 0 } };
    }
  } catch {
    k = null;
  }
  instances.set(memory, k);
  return k;
}

/** A heap block of at least `floats` zero floats (grown with the backend's malloc, never written by anyone). */
function zeros(b: WasmBackendLike, k: Instance, floats: number): number {
  if (k.zero.floats < floats) {
    if (k.zero.ptr) b.wasm._free!(k.zero.ptr);
    const n = Math.max(floats, 256);
    k.zero = { ptr: b.wasm._malloc!(n * 4), floats: n };
    new Float32Array(b.wasm.asm!.memory!.buffer, k.zero.ptr, n).fill(0);
  }
  return k.zero.ptr;
}

/** Attributes of both kernels. */
type ConvAttrs = FilterGradGeometry & { cout: number };

const args = (a: ConvAttrs) => [a.n, a.h, a.w, a.cin, a.oh, a.ow, a.cout, a.kh, a.kw, a.sh, a.sw, a.dh, a.dw, a.top, a.left] as const;

const filterGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const a = attrs as unknown as ConvAttrs;
  const k = instanceFor(memoryOf(b)!)!;
  const out = b.makeOutput([a.kh, a.kw, a.cin, a.cout], 'float32');
  const x = b.typedArrayFromHeap(inputs.x as tf.TensorInfo).byteOffset;
  const dy = b.typedArrayFromHeap(inputs.dy as tf.TensorInfo).byteOffset;
  k.filterGrad(x, dy, b.typedArrayFromHeap(out).byteOffset, ...args(a));
  return out;
};

const convKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const a = attrs as unknown as ConvAttrs;
  const k = instanceFor(memoryOf(b)!)!;
  const zero = zeros(b, k, a.cin);
  const out = b.makeOutput([a.n, a.oh, a.ow, a.cout], 'float32');
  const x = b.typedArrayFromHeap(inputs.x as tf.TensorInfo).byteOffset;
  const f = b.typedArrayFromHeap(inputs.filter as tf.TensorInfo).byteOffset;
  k.forward(x, f, b.typedArrayFromHeap(out).byteOffset, zero, ...args(a));
  return out;
};

const KERNELS: Record<string, tf.KernelFunc> = { [FILTER_GRAD_KERNEL]: filterGradKernel, [CONV_KERNEL]: convKernel };

/** Bytes a kernel may read past the end of an operand read in 8-channel rows (dy, the filter) or 4-channel rows (x). */
const ROW8_SLACK = 32;
const ROW4_SLACK = 16;

/**
 * Runs kernel `name` on `inputs` (each with its over-read slack in bytes) when the SIMD module
 * can run on their backend, else returns undefined.
 */
function runOnHeap(name: string, inputs: Record<string, [tf.Tensor4D, number]>, attrs: ConvAttrs, needsMalloc: boolean): tf.Tensor4D | undefined {
  const tensors = Object.values(inputs).map(([t]) => t);
  if (tensors.some((t) => t.dtype !== 'float32')) return undefined;
  const engine = tf.engine();
  const backend = engine.state.tensorInfo.get(tensors[0]!.dataId)?.backend;
  if (!backend || tensors.some((t) => engine.state.tensorInfo.get(t.dataId)?.backend !== backend)) return undefined;
  const memory = memoryOf(backend);
  if (!memory || !instanceFor(memory)) return undefined;
  const b = backend as unknown as WasmBackendLike;
  if (needsMalloc && (typeof b.wasm._malloc !== 'function' || typeof b.wasm._free !== 'function')) return undefined;
  const end = memory.buffer.byteLength;
  for (const [t, slack] of Object.values(inputs)) {
    const v = b.typedArrayFromHeap(t);
    if (v.byteOffset + v.byteLength + slack > end) return undefined;
  }
  const backendName = engine.backendName;
  if (engine.findBackend(backendName) !== backend) return undefined;
  if (!tf.getKernel(name, backendName)) tf.registerKernel({ kernelName: name, backendName, kernelFunc: KERNELS[name]! });
  const named = Object.fromEntries(Object.entries(inputs).map(([k, [t]]) => [k, t]));
  return engine.runKernel(name, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * dL/dfilter ([kh, kw, cin, cout]) of a conv with geometry `g`, by the SIMD kernel on the wasm
 * heap, or undefined when that cannot run here (the caller falls back to tfjs ops).
 */
export function simdFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: FilterGradGeometry): tf.Tensor4D | undefined {
  return runOnHeap(FILTER_GRAD_KERNEL, { x: [x, ROW4_SLACK], dy: [dy, ROW8_SLACK] }, { ...g, cout: dy.shape[3] }, false);
}

/**
 * conv2d(x, filter) ([n, oh, ow, cout]) with geometry `g` (x is [n, h, w, cin], the filter
 * [kh, kw, cin, cout]; padding beyond top / left and up to oh / ow is zeros), by the SIMD kernel
 * on the wasm heap, or undefined when that cannot run here.
 */
export function simdConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, g: FilterGradGeometry): tf.Tensor4D | undefined {
  return runOnHeap(CONV_KERNEL, { x: [x, 0], filter: [filter, ROW8_SLACK] }, { ...g, cout: filter.shape[3] }, true);
}
