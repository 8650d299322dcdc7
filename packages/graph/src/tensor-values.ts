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
