/**
 * A copy-free Identity kernel for the wasm backend.
 *
 * tfjs-core saves every tensor a gradient needs as `Identity(t)` (engine.saveTensorsForBackwardMode
 * and customGrad's `save`), and wasm's Identity copies the data: a batch-64 smallCnn training
 * step spent ~3% of its kernel time copying activations nobody writes to. Tensors are immutable
 * (a variable's `assign` swaps its data id), so an Identity may share its input's data and
 * count a reference, as the cpu backend's Identity does.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of a backend the shared Identity needs. */
interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  (backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Replaces the wasm backend's Identity kernel with {@link sharedIdentity} (once; a no-op when
 * the wasm backend is not registered or has no `incRef`). Called by `initBackend('wasm')`.
 */
export function useSharedIdentity(backendName = 'wasm'): void {
  const current = tf.getKernel(tf.Identity, backendName);
  if (!current || current.kernelFunc === sharedIdentity) return;
  const backend = tf.findBackend(backendName) as Partial<RefCounting> | null;
  if (typeof backend?.incRef !== 'function') return;
  tf.unregisterKernel(tf.Identity, backendName);
  tf.registerKernel({ kernelName: tf.Identity, backendName, kernelFunc: sharedIdentity });
}
