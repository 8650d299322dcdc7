import { type InstantiateOptions, loadInt8Kernels, type Int8LayerFactory } from '@bonsai/int8-kernels';
import type { QuantizedModel } from '../quantized-model';
import type { IntegerPlan } from './plan';

export { FUSED_ACTIVATIONS, INT8_KERNELS, type KernelBuildInput, type KernelEntry } from './kernel-table';
export { IntegerPlan, type PlanRunOptions, type PlanStepInfo, type StepKind } from './plan';
export { isInt8Grid, toFloat, toInt8, type Int8Value } from './values';

/**
 * Loads the int8 WASM kernels (relaxed SIMD when the engine has it, else SIMD128) and makes `q`
 * run its int8 layers on them; returns the plan (`plan.describe()` says what runs where).
 * Pass `kernels` to share one kernel instance between models (or the `ReferenceKernels`).
 */
export async function enableIntegerKernels(q: QuantizedModel, options: InstantiateOptions & { kernels?: Int8LayerFactory } = {}): Promise<IntegerPlan> {
  const kernels = options.kernels ?? (await loadInt8Kernels(options));
  return q.useIntegerKernels(kernels)!;
}
