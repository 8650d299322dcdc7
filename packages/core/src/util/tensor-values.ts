import * as tf from '@tensorflow/tfjs-core';

/** A tensor's values as a typed array. */
export type Flat = Float32Array | Int32Array | Uint8Array;

/** The wasm backend's zero-copy view of a tensor in its heap (BackendWasm.typedArrayFromHeap). */
export interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Flat;
}

/**
 * The wasm backend holding `t` when its data can be viewed in place in the heap (no copy; a
 * 25M-value ResNet-50 read and written per prune step made `dataSync` copies and uploads a
 * measurable part of it). A view is invalidated when the heap grows: use it only while no tensor
 * is created or disposed, and do not keep it.
 */
export function heapBackend(t: tf.Tensor): HeapBackend | undefined {
  const b = tf.engine().state.tensorInfo.get(t.dataId)?.backend as Partial<HeapBackend> | undefined;
  return b && typeof b.typedArrayFromHeap === 'function' ? (b as HeapBackend) : undefined;
}

/**
 * Calls `read` with the values of `t`: a zero-copy view of the wasm heap when the backend allows
 * it, else a `dataSync` copy. `read` must not create or dispose tensors (that may move the heap)
 * nor keep the array.
 */
export function withValues<T>(t: tf.Tensor, read: (values: Flat) => T): T {
  const heap = t.dtype === 'string' ? undefined : heapBackend(t);
  return read(heap ? heap.typedArrayFromHeap(t) : (t.dataSync() as Flat));
}
