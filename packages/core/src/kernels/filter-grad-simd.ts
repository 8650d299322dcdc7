/**
 * The conv2d filter gradient as a direct WebAssembly SIMD loop on the wasm backend's heap
 * (./assembly/filter-grad.ts): dW[i, j, ci, co] += x-patch * dy, 4 input x 8 output channels per
 * register tile, no im2col tensor, no transposes, no XNNPACK filter repacking. The module imports
 * the backend's own `WebAssembly.Memory`, reads x and dy in place and writes into a tensor the
 * backend allocated, through a kernel registered on the wasm backend ({@link FILTER_GRAD_KERNEL}).
 *
 * {@link simdFilterGrad} returns undefined where it cannot run (another backend, the threaded
 * wasm build whose memory is shared, no SIMD, non-float32 tensors, or x / dy so close to the end of
 * the heap that the kernel's over-reads would leave it): the caller then takes the tfjs-op path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FILTER_GRAD_WASM } from './filter-grad-wasm';

/** Name of the wasm-backend kernel that runs the filter gradient. */
export const FILTER_GRAD_KERNEL = 'BonsaiConv2DFilterGrad';

/** Geometry of the conv whose filter gradient is wanted (tfjs's padding rule). */
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

type KernelFn = (x: number, dy: number, out: number, n: number, h: number, w: number, cin: number, oh: number, ow: number, cout: number,
  kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number) => void;

/** The parts of the wasm backend the kernel uses. */
interface WasmBackendLike {
  wasm: { asm?: { memory?: WebAssembly.Memory } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

const instances = new WeakMap<WebAssembly.Memory, KernelFn | null>();

function memoryOf(backend: unknown): WebAssembly.Memory | undefined {
  const b = backend as Partial<WasmBackendLike> | undefined;
  const m = b?.wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory && typeof b?.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? m : undefined;
}

/** The kernel bound to `memory`, or null when it cannot be instantiated there (a shared memory of the threaded build, no SIMD). */
function kernelFor(memory: WebAssembly.Memory): KernelFn | null {
  let k = instances.get(memory);
  if (k !== undefined) return k;
  k = null;
  try {
    const bytes = Uint8Array.from(atob(FILTER_GRAD_WASM), (c) => c.charCodeAt(0));
    if (WebAssembly.validate(bytes)) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      k = instance.exports.conv2dFilterGrad as KernelFn;
    }
  } catch {
    k = null;
  }
  instances.set(memory, k);
  return k;
}

/** Attributes of the {@link FILTER_GRAD_KERNEL} kernel. */
type FilterGradAttrs = FilterGradGeometry & { cout: number };

const filterGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const a = attrs as unknown as FilterGradAttrs;
  const run = kernelFor(memoryOf(b)!)!;
  const out = b.makeOutput([a.kh, a.kw, a.cin, a.cout], 'float32');
  const x = b.typedArrayFromHeap(inputs.x as tf.TensorInfo).byteOffset;
  const dy = b.typedArrayFromHeap(inputs.dy as tf.TensorInfo).byteOffset;
  run(x, dy, b.typedArrayFromHeap(out).byteOffset, a.n, a.h, a.w, a.cin, a.oh, a.ow, a.cout, a.kh, a.kw, a.sh, a.sw, a.dh, a.dw, a.top, a.left);
  return out;
};

function ensureRegistered(backendName: string): void {
  if (!tf.getKernel(FILTER_GRAD_KERNEL, backendName)) tf.registerKernel({ kernelName: FILTER_GRAD_KERNEL, backendName, kernelFunc: filterGradKernel });
}

/** Bytes the kernel may read past the end of x and dy (a 4-channel row and an 8-channel row). */
const X_SLACK = 16;
const DY_SLACK = 32;

/**
 * dL/dfilter ([kh, kw, cin, cout]) of a conv with geometry `g`, by the SIMD kernel on the wasm
 * heap, or undefined when that cannot run here (the caller falls back to tfjs ops).
 */
export function simdFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: FilterGradGeometry): tf.Tensor4D | undefined {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const engine = tf.engine();
  const backend = engine.state.tensorInfo.get(x.dataId)?.backend;
  if (!backend || engine.state.tensorInfo.get(dy.dataId)?.backend !== backend) return undefined;
  const memory = memoryOf(backend);
  if (!memory || !kernelFor(memory)) return undefined;
  const b = backend as unknown as WasmBackendLike;
  const end = memory.buffer.byteLength;
  const xv = b.typedArrayFromHeap(x);
  const dyv = b.typedArrayFromHeap(dy);
  if (xv.byteOffset + xv.byteLength + X_SLACK > end || dyv.byteOffset + dyv.byteLength + DY_SLACK > end) return undefined;
  const backendName = engine.backendName;
  if (engine.findBackend(backendName) !== backend) return undefined;
  ensureRegistered(backendName);
  const attrs: FilterGradAttrs = { ...g, cout: dy.shape[3] };
  return engine.runKernel(FILTER_GRAD_KERNEL, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
