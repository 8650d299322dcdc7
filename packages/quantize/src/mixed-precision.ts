import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model } from '@bonsai/core';
import { fromFloat16Bits, toFloat16Bits } from './float16';
import { createObserver } from './observers';
import { weightTargets } from './placement';
import { dequantizeArray, quantizeArray } from './qparams';
import { resolveScheme } from './scheme';

/** Weight precisions {@link chooseMixedPrecision} picks from. */
export type WeightPrecision = 'int4' | 'int8' | 'float16';

/** Options of {@link chooseMixedPrecision}. */
export interface MixedPrecisionOptions {
  /** Total bytes allowed for the quantized weights (integers + float32 scales, or float16 values). */
  budgetBytes: number;
  /** Precisions tried per layer (default all three). */
  precisions?: readonly WeightPrecision[];
}

/** One layer's measured sensitivity: bytes and output error per precision. */
export interface LayerSensitivity {
  param: string;
  bytes: Record<WeightPrecision, number>;
  /** Mean squared error of the model's output vs float on the data, only this layer at that precision. */
  error: Record<WeightPrecision, number>;
}

/** The choice: precision per weight param, its total bytes and the summed per-layer errors. */
export interface MixedPrecisionPlan {
  precisions: Map<string, WeightPrecision>;
  bytes: number;
  estimatedError: number;
  layers: LayerSensitivity[];
}

const ALL: readonly WeightPrecision[] = ['int4', 'int8', 'float16'];

/** `values` rounded as weight precision `p` would store them (per-channel symmetric for int4/int8). */
export function roundToPrecision(values: Float32Array, shape: readonly number[], axis: number | undefined, p: WeightPrecision, name = 'weight'): Float32Array {
  if (p === 'float16') return Float32Array.from(values, (v) => fromFloat16Bits(toFloat16Bits(v)));
  const scheme = resolveScheme({ dtype: p, symmetric: true, perChannel: axis !== undefined, axis });
  const obs = createObserver('minmax', scheme, name);
  const t = tf.tensor(values, [...shape]);
  try {
    obs.observe(t);
  } finally {
    t.dispose();
  }
  const qp = obs.qparams();
  return dequantizeArray(quantizeArray(values, [...shape], qp), [...shape], qp);
}

function storedBytes(size: number, channels: number, p: WeightPrecision): number {
  return p === 'float16' ? 2 * size : Math.ceil((size * (p === 'int4' ? 4 : 8)) / 8) + 4 * channels;
}

/**
 * Mixed-precision weights (HAQ / HAWQ-style search, measured rather than learned): for every
 * quantizable weight and precision, measures the output MSE against float on `x` with only that
 * layer rounded; then starts from the cheapest precision everywhere and greedily applies the
 * upgrade with the largest error drop per extra byte that still fits `budgetBytes`. The model is
 * not modified; apply the plan with {@link applyPrecisions}.
 * @throws ConfigError when the budget is below the cheapest assignment.
 */
export function chooseMixedPrecision(model: Model, x: tf.Tensor, options: MixedPrecisionOptions): MixedPrecisionPlan {
  const precisions = options.precisions ?? ALL;
  if (!precisions.length || precisions.some((p) => !ALL.includes(p))) throw new ConfigError(`chooseMixedPrecision: precisions must be a non-empty subset of ${ALL.join(', ')}`, { option: 'precisions' });
  const ref = model.predict(x);
  const layers: LayerSensitivity[] = [];
  try {
    for (const [name, scheme] of weightTargets(model, {})) {
      const p = model.params.get(name)!;
      const original = tf.tidy(() => tf.clone(p.value));
      const values = p.value.dataSync() as Float32Array;
      const channels = scheme.axis !== undefined ? p.shape[scheme.axis]! : 1;
      const bytes = {} as Record<WeightPrecision, number>;
      const error = {} as Record<WeightPrecision, number>;
      try {
        for (const prec of precisions) {
          const rounded = tf.tensor(roundToPrecision(values, p.shape, scheme.axis, prec, name), p.shape);
          p.assign(rounded);
          rounded.dispose();
          error[prec] = tf.tidy(() => tf.mean(tf.squaredDifference(model.predict(x), ref)).dataSync()[0]!);
          bytes[prec] = storedBytes(p.size, channels, prec);
        }
      } finally {
        p.assign(original);
        original.dispose();
      }
      layers.push({ param: name, bytes, error });
    }
  } finally {
    ref.dispose();
  }
  const choice = new Map<string, WeightPrecision>();
  let total = 0;
  for (const l of layers) {
    const cheapest = [...precisions].sort((a, b) => l.bytes[a] - l.bytes[b])[0]!;
    choice.set(l.param, cheapest);
    total += l.bytes[cheapest];
  }
  if (total > options.budgetBytes) throw new ConfigError(`chooseMixedPrecision: budget ${options.budgetBytes} bytes is below the cheapest assignment (${total} bytes)`, { option: 'budgetBytes' });
  for (;;) {
    let best: { layer: LayerSensitivity; to: WeightPrecision; gain: number } | undefined;
    for (const l of layers) {
      const cur = choice.get(l.param)!;
      for (const to of precisions) {
        const dBytes = l.bytes[to] - l.bytes[cur];
        const dErr = l.error[cur] - l.error[to];
        if (dBytes <= 0 || dErr <= 0 || total + dBytes > options.budgetBytes) continue;
        const gain = dErr / dBytes;
        if (!best || gain > best.gain) best = { layer: l, to, gain };
      }
    }
    if (!best) break;
    total += best.layer.bytes[best.to] - best.layer.bytes[choice.get(best.layer.param)!];
    choice.set(best.layer.param, best.to);
  }
  const estimatedError = layers.reduce((s, l) => s + l.error[choice.get(l.param)!], 0);
  return { precisions: choice, bytes: total, estimatedError, layers };
}

/** A copy of `model` whose weights in `precisions` are rounded to their precision (simulated storage). */
export function applyPrecisions(model: Model, precisions: ReadonlyMap<string, WeightPrecision>): Model {
  const out = model.clone();
  const schemes = weightTargets(out, {});
  for (const [name, prec] of precisions) {
    const p = out.params.get(name);
    if (!p) {
      out.dispose();
      throw new ConfigError(`applyPrecisions: no param "${name}"`, { param: name });
    }
    const rounded = tf.tensor(roundToPrecision(p.value.dataSync() as Float32Array, p.shape, schemes.get(name)?.axis, prec, name), p.shape);
    p.assign(rounded);
    rounded.dispose();
  }
  return out;
}
