/**
 * Conv2d kernels as direct WebAssembly SIMD loops on the wasm backend's heap (./assembly/):
 * - the filter gradient, dW[i, j, ci, co] += x-patch * dy with 4 input x 8 output channels per
 *   register tile (no im2col tensor, no transposes, no XNNPACK repacking of x or dy);
 * - the forward conv, 4 output pixels x 8 output channels per tile, padding read from a block of
 *   zeros (no padded copy); conv.ts runs the forward pass and the input gradient's correlations
 *   with it;
 * - 3x3 stride-1 convs as Winograd F(2x2, 3x3) (16 instead of 36 multiply-adds per output tile and
 *   channel pair), with bias and ReLU / ReLU6 applied as the outputs are written, for the
 *   forward pass, the input gradient and the fused inference path.
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
/** Name of the wasm-backend kernel that runs a 3x3 stride-1 conv as Winograd F(2x2, 3x3). */
export const WINOGRAD_KERNEL = 'BonsaiConv2DWinograd';
/** Name of the wasm-backend kernel that runs a 3x3 stride-1 conv's filter gradient through Winograd F(2x2, 3x3). */
export const WINOGRAD_FILTER_GRAD_KERNEL = 'BonsaiConv2DWinogradFilterGrad';

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

type WinogradFilterFn = (f: number, u: number, cin: number, cout: number, coutPad: number) => void;
type WinogradFn = (x: number, u: number, y: number, bias: number, zero: number, v: number, m: number, n: number, h: number, w: number,
  cin: number, oh: number, ow: number, cout: number, coutPad: number, top: number, left: number, act: number, tb: number) => void;
type WinogradGradFn = (x: number, dy: number, dw: number, zero: number, du: number, v: number, wb: number, n: number, h: number, w: number,
  cin: number, oh: number, ow: number, cout: number, coutPad: number, top: number, left: number, tb: number) => void;

/** A heap block owned by the kernels, grown with the backend's malloc. */
interface HeapBlock {
  ptr: number;
  floats: number;
}

/**
 * The module's exports, with a block of zeros in the heap for the padding taps and the Winograd
 * kernel's scratch (transformed filter, bias, tile blocks).
 */
interface Instance {
  filterGrad: ConvFn;
  forward: ForwardFn;
  winogradFilter: WinogradFilterFn;
  winograd: WinogradFn;
  winogradGrad: WinogradGradFn;
  zero: HeapBlock;
  scratch: HeapBlock;
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
      k = {
        filterGrad: e.conv2dFilterGrad as ConvFn,
        forward: e.conv2dForward as ForwardFn,
        winogradFilter: e.winogradFilter as WinogradFilterFn,
        winograd: e.winogradConv as WinogradFn,
        winogradGrad: e.winogradFilterGrad as WinogradGradFn,
        zero: { ptr: 0, floats: 0 },
        scratch: { ptr: 0, floats: 0 },
      };
    }
  } catch {
    k = null;
  }
  instances.set(memory, k);
  return k;
}

/** `block`, grown with the backend's malloc to at least `floats` floats (new blocks are zero-filled). */
function grown(b: WasmBackendLike, block: HeapBlock, floats: number): HeapBlock {
  if (block.floats >= floats) return block;
  if (block.ptr) b.wasm._free!(block.ptr);
  const n = Math.max(floats, 256);
  const ptr = b.wasm._malloc!(n * 4);
  new Float32Array(b.wasm.asm!.memory!.buffer, ptr, n).fill(0);
  return { ptr, floats: n };
}

/** A heap block of at least `floats` zero floats (never written by anyone). */
function zeros(b: WasmBackendLike, k: Instance, floats: number): number {
  k.zero = grown(b, k.zero, floats);
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

/** Activations the Winograd kernel applies as it writes the outputs (its `act` codes). */
const WINOGRAD_ACTIVATIONS = { linear: 0, relu: 1, relu6: 2 } as const;

/** An activation the Winograd kernel applies itself. */
export type WinogradActivation = keyof typeof WINOGRAD_ACTIVATIONS;

/** Attributes of the Winograd kernel. */
type WinogradAttrs = ConvAttrs & { act: number };

/**
 * Tiles per Winograd block: the block's input and output transforms (16 x tiles x (cin + coutPad)
 * floats) stay near 512 KB, inside L2, while the 16 products read them.
 */
function winogradBlock(cin: number, coutPad: number): number {
  return Math.min(256, Math.max(4, Math.floor(8192 / (cin + coutPad)) & ~3));
}

/** The Winograd kernels' heap scratch: u (U or dU) | bias | v (V) | m (M or W), with the padded cout, tiles per block and the zero block. */
interface WinogradScratch {
  coutPad: number;
  tb: number;
  zero: number;
  u: number;
  bias: number;
  v: number;
  m: number;
}

/** Grows the kernels' scratch for a conv with cin / cout channels (call before makeOutput: views of the heap come after every malloc). */
function winogradScratch(b: WasmBackendLike, k: Instance, cin: number, cout: number): WinogradScratch {
  const coutPad = Math.ceil(cout / 8) * 8;
  const tb = winogradBlock(cin, coutPad);
  const uFloats = 16 * cin * coutPad;
  // Each tile-block plane is followed by the kernels' PLANE_PAD (16) floats.
  const vFloats = 16 * (tb * cin + 16);
  const zero = zeros(b, k, Math.max(cin, cout));
  k.scratch = grown(b, k.scratch, uFloats + coutPad + vFloats + 16 * (tb * coutPad + 16));
  const u = k.scratch.ptr;
  const bias = u + uFloats * 4;
  const v = bias + coutPad * 4;
  return { coutPad, tb, zero, u, bias, v, m: v + vFloats * 4 };
}

const winogradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const a = attrs as unknown as WinogradAttrs;
  const k = instanceFor(memoryOf(b)!)!;
  const s = winogradScratch(b, k, a.cin, a.cout);
  const out = b.makeOutput([a.n, a.oh, a.ow, a.cout], 'float32');
  // Views only after every allocation: a malloc may grow (and detach) the heap's buffer.
  const biasView = new Float32Array(b.wasm.asm!.memory!.buffer, s.bias, s.coutPad).fill(0);
  if (inputs.bias) biasView.set(b.typedArrayFromHeap(inputs.bias as tf.TensorInfo));
  k.winogradFilter(b.typedArrayFromHeap(inputs.filter as tf.TensorInfo).byteOffset, s.u, a.cin, a.cout, s.coutPad);
  k.winograd(b.typedArrayFromHeap(inputs.x as tf.TensorInfo).byteOffset, s.u, b.typedArrayFromHeap(out).byteOffset, s.bias, s.zero, s.v, s.m,
    a.n, a.h, a.w, a.cin, a.oh, a.ow, a.cout, s.coutPad, a.top, a.left, a.act, s.tb);
  return out;
};

const winogradFilterGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const a = attrs as unknown as ConvAttrs;
  const k = instanceFor(memoryOf(b)!)!;
  const s = winogradScratch(b, k, a.cin, a.cout);
  const out = b.makeOutput([3, 3, a.cin, a.cout], 'float32');
  k.winogradGrad(b.typedArrayFromHeap(inputs.x as tf.TensorInfo).byteOffset, b.typedArrayFromHeap(inputs.dy as tf.TensorInfo).byteOffset,
    b.typedArrayFromHeap(out).byteOffset, s.zero, s.u, s.v, s.m, a.n, a.h, a.w, a.cin, a.oh, a.ow, a.cout, s.coutPad, a.top, a.left, s.tb);
  return out;
};

const KERNELS: Record<string, tf.KernelFunc> = {
  [FILTER_GRAD_KERNEL]: filterGradKernel,
  [CONV_KERNEL]: convKernel,
  [WINOGRAD_KERNEL]: winogradKernel,
  [WINOGRAD_FILTER_GRAD_KERNEL]: winogradFilterGradKernel,
};

/** Bytes a kernel may read past the end of an operand read in 8-channel rows (dy, the filter) or 4-channel rows (x). */
const ROW8_SLACK = 32;
const ROW4_SLACK = 16;

/**
 * Runs kernel `name` on `inputs` (each with its over-read slack in bytes) when the SIMD module
 * can run on their backend, else returns undefined.
 */
function runOnHeap(name: string, inputs: Record<string, [tf.Tensor, number]>, attrs: ConvAttrs, needsMalloc: boolean): tf.Tensor4D | undefined {
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

/**
 * Whether a conv with geometry `g` and `cout` output channels runs as Winograd F(2x2, 3x3): a 3x3
 * kernel, stride 1, no dilation, input and output channels multiples of 4 and at least 8 (fewer do
 * not amortize the transforms).
 */
export function winogradFits(g: FilterGradGeometry, cout: number): boolean {
  return g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 &&
    g.cin >= 8 && g.cin % 4 === 0 && cout >= 8 && cout % 4 === 0;
}

/**
 * activation(conv2d(x, filter) + bias) ([n, oh, ow, cout]) for a 3x3 stride-1 undilated conv with
 * geometry `g`, as Winograd F(2x2, 3x3) on the wasm heap (outputs within ~1e-6 relative of the
 * direct conv), or undefined when that cannot run here or the conv does not fit
 * ({@link winogradFits}) or the activation is not one the kernel applies.
 */
export function simdWinogradConv2d(
  x: tf.Tensor4D, filter: tf.Tensor4D, g: FilterGradGeometry, o: { bias?: tf.Tensor1D; activation?: string } = {},
): tf.Tensor4D | undefined {
  const cout = filter.shape[3];
  const name = o.activation ?? 'linear';
  const act = Object.hasOwn(WINOGRAD_ACTIVATIONS, name) ? WINOGRAD_ACTIVATIONS[name as WinogradActivation] : undefined;
  if (act === undefined || !winogradFits(g, cout) || (o.bias && o.bias.size !== cout)) return undefined;
  const inputs: Record<string, [tf.Tensor, number]> = { x: [x, 0], filter: [filter, 0] };
  if (o.bias) inputs.bias = [o.bias, 0];
  return runOnHeap(WINOGRAD_KERNEL, inputs, { ...g, cout, act } as WinogradAttrs, true);
}

/**
 * Fewest input + output channels for which the Winograd filter gradient beats the direct kernel:
 * its two transforms per tile cost per channel what the 16 products cost per channel pair, so
 * with few channels they dominate (28x28 16->16 at batch 64: 8.2 ms against the direct 6.4 ms;
 * 14x14 16->32: 1.8 against 3.3 ms).
 */
const WINOGRAD_GRAD_MIN_CHANNELS = 48;

/**
 * dL/dfilter ([3, 3, cin, cout]) of a 3x3 stride-1 undilated conv with geometry `g`, through the
 * Winograd F(2x2, 3x3) transforms on the wasm heap (within ~1e-6 relative of the direct
 * kernel's), or undefined when that cannot run here, the conv does not fit ({@link winogradFits})
 * or has fewer than 48 input + output channels.
 */
export function simdWinogradFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: FilterGradGeometry): tf.Tensor4D | undefined {
  const cout = dy.shape[3];
  if (!winogradFits(g, cout) || g.cin + cout < WINOGRAD_GRAD_MIN_CHANNELS) return undefined;
  return runOnHeap(WINOGRAD_FILTER_GRAD_KERNEL, { x: [x, 0], dy: [dy, 0] }, { ...g, cout }, true);
}
