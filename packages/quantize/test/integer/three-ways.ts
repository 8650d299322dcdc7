import * as tf from '@tensorflow/tfjs-core';
import { ReferenceKernels, type Int8Kernels } from '@bonsai/int8-kernels';
import type { IntegerPlan, QuantizedModel } from '../../src/index';

/** `q`'s output on `x` as float32 values (no tensors kept). */
export const out = (q: QuantizedModel, x: tf.Tensor): Float32Array => tf.tidy(() => q.forward(x).dataSync() as Float32Array);

/** Outputs of `q` on `x` simulated, on the JS integer reference and on `kernels`, with both plans; `q` is left simulated. */
export function runThreeWays(q: QuantizedModel, x: tf.Tensor, kernels: Int8Kernels): { simulated: Float32Array; reference: Float32Array; wasm: Float32Array; referencePlan: IntegerPlan; plan: IntegerPlan } {
  const simulated = out(q, x);
  const referencePlan = q.useIntegerKernels(new ReferenceKernels())!;
  const reference = out(q, x);
  const plan = q.useIntegerKernels(kernels)!;
  const wasm = out(q, x);
  q.useIntegerKernels(undefined);
  return { simulated, reference, wasm, referencePlan, plan };
}
