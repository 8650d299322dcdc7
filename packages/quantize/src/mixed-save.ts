import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model } from '@bonsai/core';
import type { WeightPrecision } from './mixed-precision';
import { roundToPrecision } from './mixed-precision';
import { observeWeight } from './observers';
import { weightTargets } from './placement';
import type { QParams } from './qparams';
import { buildQuantizedModel, type QuantizedModel } from './quantized-model';
import { resolveScheme } from './scheme';

/**
 * A mixed-precision plan (e.g. {@link chooseMixedPrecision}'s `precisions`) as a savable
 * {@link QuantizedModel} (weights only, mode `dynamic`): int4 / int8 weights become per-channel
 * symmetric integers of that width (`saveQuantized` stores each at its own bit width), float16
 * weights are rounded to float16 values and stay float params, which `saveQuantized` stores as
 * 2-byte float16 (its lossless float16 section). Outputs equal {@link applyPrecisions}'s.
 * `model` must be the one the plan was made on (batch norm already folded). Not modified.
 */
export function quantizeMixed(model: Model, precisions: ReadonlyMap<string, WeightPrecision>): QuantizedModel {
  const targets = weightTargets(model, {});
  const qparams = new Map<string, QParams>();
  for (const [name, precision] of precisions) {
    const p = model.params.get(name);
    const target = targets.get(name);
    if (!p || !target) throw new ConfigError(`quantizeMixed: "${name}" is not a quantizable weight of the model`, { param: name });
    if (precision === 'float16') continue;
    if (precision !== 'int4' && precision !== 'int8') throw new ConfigError(`quantizeMixed: unknown precision ${JSON.stringify(precision)} for "${name}"`, { param: name });
    qparams.set(name, observeWeight(p, 'minmax', resolveScheme({ dtype: precision, symmetric: true, perChannel: target.axis !== undefined, axis: target.axis }), name));
  }
  const q = buildQuantizedModel(model, 'dynamic', qparams, new Map());
  for (const [name, precision] of precisions) {
    if (precision !== 'float16') continue;
    const p = q.params.get(name)!;
    const rounded = tf.tensor(roundToPrecision(p.value.dataSync() as Float32Array, p.shape, targets.get(name)!.axis, 'float16', name), p.shape);
    p.assign(rounded);
    rounded.dispose();
  }
  return q;
}
