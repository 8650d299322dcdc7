import { BackendError } from '@bonsai/core';
import { enableIntegerKernels, type QuantizedModel } from '@bonsai/quantize';

/**
 * Makes a statically quantized `q` run its int8 layers on Bonsai's integer WASM kernels (relaxed
 * SIMD where the browser has it, else SIMD128), as the CLI does; layers the kernels do not cover
 * stay in float. Without WASM SIMD the model keeps the simulated (dequantized float) path.
 * Returns what runs where, for the run's summary line.
 */
export async function useIntegerKernels(q: QuantizedModel): Promise<string> {
  if (q.activationQParams.size === 0) return 'weights-only int8: float32 kernels';
  try {
    const plan = await enableIntegerKernels(q);
    const steps = plan.describe().filter((s) => s.kind === 'int8' || s.kind === 'float');
    const int8 = steps.filter((s) => s.kind === 'int8').length;
    return `${int8} of ${steps.length} layers on the int8 WASM kernels`;
  } catch (e) {
    if (e instanceof BackendError) return `int8 kernels unavailable (${e.message}): int8 simulated in float32`;
    throw e;
  }
}
