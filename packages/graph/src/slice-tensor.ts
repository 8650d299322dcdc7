import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, heapBackend, heapKernelsFor, type Flat, type HeapKernels } from '@bonsai/core';

/** Positions to keep (old numbering, ascending, distinct) along one axis. */
export interface AxisCut {
  readonly axis: number;
  readonly keep: readonly number[] | Int32Array;
}

/**
 * Keeps positions `cut.keep` along every cut axis of `tensor` in one copy: reads the tensor once
 * (in place on wasm), copies only kept elements (trailing uncut axes as contiguous blocks) and uploads
 * one new tensor. Replaces one `tf.gather` per axis, which on wasm costs ~70 ns per element.
 * Returns a new tensor; `tensor` is left alone.
 * @throws ConfigError for an axis outside the shape, two cuts on one axis, or a position out of range.
 */
export function keepAlongAxes(tensor: tf.Tensor, cuts: readonly AxisCut[]): tf.Tensor {
  const shape = tensor.shape;
  const lists = cutLists(shape, cuts);
  const outShape: number[] = shape.map((d, a) => lists[a]?.length ?? d);
  const heap = heapBackend(tensor);
  if (heap && tensor.dtype !== 'string') {
    // wasm: allocate the result first, then copy between the two heap views (no JS array, no
    // upload copy). Nothing is allocated while the views are in use.
    const out = uninitialized(heap, outShape, tensor.dtype);
    if (heapBackend(out) === heap) {
      const kernels = tensor.dtype === 'bool' ? undefined : heapKernelsFor(tensor);
      if (kernels) heapGather(kernels, heap.typedArrayFromHeap(tensor).byteOffset, shape, lists, heap.typedArrayFromHeap(out).byteOffset);
      else gatherFlat(heap.typedArrayFromHeap(tensor), shape, lists, heap.typedArrayFromHeap(out));
      return out;
    }
    out.dispose();
  }
  return tf.tensor(gatherFlat(tensor.dataSync() as Flat, shape, lists), outShape, tensor.dtype);
}

/** The wasm backend's allocation of a kernel output (BackendWasm.makeOutput): heap memory, not initialized. */
interface OutputMaker {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * A new tensor in `heap` whose values the caller overwrites: the backend's uninitialized kernel
 * output when it offers one, else the Fill kernel's zeros (no JS array; tf.zeros uploads one).
 */
function uninitialized(heap: object, shape: number[], dtype: tf.DataType): tf.Tensor {
  const maker = heap as Partial<OutputMaker>;
  if (typeof maker.makeOutput !== 'function') return tf.fill(shape, 0, dtype);
  return tf.engine().makeTensorFromTensorInfo(maker.makeOutput(shape, dtype), heap as tf.KernelBackend);
}

/** Validates `cuts` against `shape` (as {@link keepAlongAxes} does) and returns the shape after them. */
export function checkCuts(shape: readonly number[], cuts: readonly AxisCut[]): number[] {
  const lists = cutLists(shape, cuts);
  return shape.map((d, a) => lists[a]?.length ?? d);
}

function cutLists(shape: readonly number[], cuts: readonly AxisCut[]): Array<Int32Array | undefined> {
  const lists: Array<Int32Array | undefined> = shape.map(() => undefined);
  for (const { axis, keep } of cuts) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new ConfigError(`keepAlongAxes: axis ${axis} is outside a tensor of rank ${shape.length}`, { key: 'axis' });
    if (lists[axis]) throw new ConfigError(`keepAlongAxes: axis ${axis} is cut twice`, { key: 'axis' });
    lists[axis] = checkedPositions(keep, shape[axis]!, axis);
  }
  return lists;
}

function checkedPositions(keep: readonly number[] | Int32Array, size: number, axis: number): Int32Array {
  const bad = (p: number, prev: number) =>
    new ConfigError(`keepAlongAxes: positions along axis ${axis} must be ascending integers in [0, ${size}), got ${p} after ${prev}`, { key: 'keep' });
  // Integers are checked on the caller's values (Int32Array.from would truncate 1.5 to 1).
  if (!(keep instanceof Int32Array)) {
    for (let i = 0; i < keep.length; i++) if (!Number.isInteger(keep[i])) throw bad(keep[i]!, i > 0 ? keep[i - 1]! : -1);
  }
  const list = keep instanceof Int32Array ? keep : Int32Array.from(keep);
  let prev = -1;
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    if (p <= prev || p >= size) throw bad(p, prev);
    prev = p;
  }
  return list;
}

/** How a cut copies: `bases` (start offsets of every kept row along the leading cut axes, in elements) x `inner` (kept positions along the last cut axis) blocks of `block` elements. */
interface CopyPlan {
  readonly bases: Float64Array;
  readonly inner: Int32Array;
  readonly innerStride: number;
  readonly block: number;
  readonly outSize: number;
}

/** The {@link CopyPlan} of `lists` over `shape`, or undefined when no axis is cut. */
function copyPlan(shape: readonly number[], lists: ReadonlyArray<Int32Array | undefined>): CopyPlan | undefined {
  let last = lists.length - 1;
  while (last >= 0 && !lists[last]) last--;
  if (last < 0) return undefined;
  // Trailing uncut axes form one contiguous block.
  let block = 1;
  for (let a = last + 1; a < shape.length; a++) block *= shape[a]!;
  let outSize = block;
  for (let a = 0; a <= last; a++) outSize *= lists[a]?.length ?? shape[a]!;
  const strides = new Array<number>(last + 1);
  let s = block;
  for (let a = last; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a]!;
  }
  // Start offsets of every kept row along the leading axes (0..last-1), built axis by axis.
  let bases = new Float64Array([0]);
  for (let a = 0; a < last; a++) {
    const list = lists[a];
    const n = list?.length ?? shape[a]!;
    const stride = strides[a]!;
    const next = new Float64Array(bases.length * n);
    let k = 0;
    for (let i = 0; i < bases.length; i++) {
      const b = bases[i]!;
      if (list) for (let j = 0; j < n; j++) next[k++] = b + list[j]! * stride;
      else for (let j = 0; j < n; j++) next[k++] = b + j * stride;
    }
    bases = next;
  }
  return { bases, inner: lists[last]!, innerStride: strides[last]!, block, outSize };
}

/** The cut copy of 4-byte elements done by the heap's copy kernel (byte addresses `src`, `out`). */
function heapGather(kernels: HeapKernels, src: number, shape: readonly number[], lists: ReadonlyArray<Int32Array | undefined>, out: number): void {
  const whole = (): CopyPlan => {
    const size = shape.reduce((a, d) => a * d, 1);
    return { bases: new Float64Array(1), inner: new Int32Array(1), innerStride: 0, block: size, outSize: size };
  };
  const { bases, inner, innerStride, block } = copyPlan(shape, lists) ?? whole();
  const ptr = kernels.malloc((bases.length + inner.length) * 4);
  try {
    const view = new Int32Array(kernels.memory.buffer, ptr, bases.length + inner.length);
    for (let i = 0; i < bases.length; i++) view[i] = src + bases[i]! * 4;
    for (let j = 0; j < inner.length; j++) view[bases.length + j] = inner[j]! * innerStride * 4;
    (block === 1 ? kernels.copy4 : kernels.copyBlock)(out, ptr, bases.length, ptr + bases.length * 4, inner.length, block * 4);
  } finally {
    kernels.free(ptr);
  }
}

/** Copies the kept elements of a row-major array; `lists[a]` undefined keeps axis `a` whole. */
function gatherFlat(src: Flat, shape: readonly number[], lists: ReadonlyArray<Int32Array | undefined>, into?: Flat): Flat {
  const plan = copyPlan(shape, lists);
  const outSize = plan?.outSize ?? src.length;
  const out = into ?? new (src.constructor as new (n: number) => Flat)(outSize);
  if (out.length !== outSize) throw new ConfigError(`keepAlongAxes: output holds ${out.length} values, expected ${outSize}`, { key: 'into' });
  if (!plan) {
    out.set(src);
    return out;
  }
  const { bases, inner, innerStride, block } = plan;
  if (block === 1) gatherRows(src, out, bases, inner);
  else {
    let o = 0;
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      for (let j = 0; j < inner.length; j++) {
        const from = base + inner[j]! * innerStride;
        out.set(src.subarray(from, from + block), o);
        o += block;
      }
    }
  }
  return out;
}

/** `out[i * inner.length + j] = src[bases[i] + inner[j]]`: the element-wise copy of a last-axis cut (the hot loop). */
function gatherRows(src: Flat, out: Flat, bases: Float64Array, inner: Int32Array): void {
  const m = inner.length;
  let o = 0;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    for (let j = 0; j < m; j++) out[o + j] = src[base + inner[j]!]!;
    o += m;
  }
}
