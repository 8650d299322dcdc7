import type { Model } from '@bonsai/core';
import { foldBatchNorm } from './fold-bn';
import { observeWeight } from './observers';
import { weightTargets, type QuantizeOptions } from './placement';
import type { QParams } from './qparams';
import { buildQuantizedModel, type QuantizedModel } from './quantized-model';

/**
 * Weight-only quantization (torch `quantize_dynamic`, tfjs `--quantize_uint8` style): conv and
 * dense kernels become int8 (per-channel symmetric by default), activations stay float.
 * Batch norm is folded first unless `foldBatchNorm: false`. The input model is not modified.
 */
export function quantizeDynamic(model: Model, options: Pick<QuantizeOptions, 'weights' | 'skip' | 'foldBatchNorm'> = {}): QuantizedModel {
  const base = options.foldBatchNorm === false ? model : foldBatchNorm(model);
  try {
    const weights = new Map<string, QParams>();
    for (const [name, scheme] of weightTargets(base, options)) {
      weights.set(name, observeWeight(base.params.get(name)!, options.weights?.observer ?? 'minmax', scheme, name));
    }
    return buildQuantizedModel(base, 'dynamic', weights, new Map());
  } finally {
    if (base !== model) base.dispose();
  }
}
