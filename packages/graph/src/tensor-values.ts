import * as tf from '@tensorflow/tfjs-core';

type Flat = Float32Array | Int32Array | Uint8Array;

/** The wasm backend's zero-copy view of a tensor in its heap (BackendWasm.typedArrayFromHeap). */
interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Flat;
}

function heapBackend(t: tf.Tensor): HeapBackend | undefined {
  const b = tf.engine().state.tensorInfo.get(t.dataId)?.backend as Partial<HeapBackend> | undefined;
  return b && typeof b.typedArrayFromHeap === 'function' ? (b as HeapBackend) : undefined;
}

/**
 * Calls `fn` with the values of `t`: a view into the wasm heap when the tensor lives on the wasm
 * backend (no copy; a 25M-value ResNet-50 read twice per prune step made `dataSync` copies a
 * measurable part of it), else `dataSync()`. `fn` must not create or dispose tensors (a heap
 * view is invalidated when the heap grows) and must not keep the array.
 */
export function withValues<R>(t: tf.Tensor, fn: (values: Flat) => R): R {
  const heap = heapBackend(t);
  if (heap) return fn(heap.typedArrayFromHeap(t));
  return fn(t.dataSync() as Flat);
}
