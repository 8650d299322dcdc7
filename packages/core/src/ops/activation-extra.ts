import * as tf from '@tensorflow/tfjs-core';
import type { Attrs } from '../ir/types';
import { numberAttr, readAttrs, type AttrSchema, type AttrsOf } from './attrs';
import { nullableNumberAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/**
 * An elementwise activation with scalar attributes. Channels pass through (identity); like the
 * other non-ReLU activations, integer kernels do not fuse it and its output needs requantizing.
 */
function elementwise<S extends AttrSchema>(name: string, schema: S, fn: (x: tf.Tensor, a: AttrsOf<S>) => tf.Tensor): OpSpec<AttrsOf<S> & Attrs> {
  return {
    name,
    arity: 1,
    attrSchema: schema,
    normalizeAttrs: (a) => readAttrs(schema, a, name) as AttrsOf<S> & Attrs,
    ...plainTraits,
    inferShape: ([s]) => s!,
    paramShapes: () => ({}),
    forward: ([x], _p, a) => fn(x!, a),
    macs: () => 0,
    channelRule: () => ({ kind: 'identity' }),
  };
}

/** `x` for x >= 0, `alpha * x` otherwise (Keras LeakyReLU, default alpha 0.3; TF LeakyRelu). */
export const leakyReluOp = elementwise('leakyRelu', { alpha: numberAttr(0.3) }, (x, a) => tf.leakyRelu(x, a.alpha));

/** `x` for x > 0, `alpha * (exp(x) - 1)` otherwise (Keras ELU / activation "elu"; TF Elu). */
export const eluOp = elementwise('elu', { alpha: numberAttr(1, 0) }, (x, a) => (a.alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(tf.elu(x), a.alpha))));

/** Scaled ELU with the fixed SELU constants (activation "selu"; TF Selu). */
export const seluOp = elementwise('selu', {}, (x) => tf.selu(x));

/** `x * sigmoid(x)` (activation "swish" / "silu"). */
export const swishOp = elementwise('swish', {}, (x) => tf.mul(x, tf.sigmoid(x)));

/**
 * Piecewise-linear sigmoid `clip(slope * x + offset, 0, 1)`. Defaults are tfjs-layers' and
 * Keras 2's "hard_sigmoid" (0.2, 0.5); Keras 3 uses slope 1/6.
 */
export const hardSigmoidOp = elementwise('hardSigmoid', { slope: numberAttr(0.2), offset: numberAttr(0.5) }, (x, a) => tf.clipByValue(tf.add(tf.mul(x, a.slope), a.offset), 0, 1));

/** Exact GELU `x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))` (Keras / tfjs-layers activation "gelu"). */
export const geluExactOp = elementwise('geluExact', {}, (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1)));

/**
 * Keras `ReLU(max_value, negative_slope, threshold)`: `max_value` for x >= max_value, `x` for
 * threshold <= x < max_value, `negative_slope * (x - threshold)` below the threshold. Plain
 * relu / relu6 / leakyRelu are their own ops (faster); the importer uses this for the rest.
 */
export const clippedReluOp = elementwise(
  'clippedRelu',
  { maxValue: nullableNumberAttr(), negativeSlope: numberAttr(0), threshold: numberAttr(0) },
  (x, a) => {
    const below = a.negativeSlope === 0 ? tf.zerosLike(x) : tf.mul(tf.sub(x, a.threshold), a.negativeSlope);
    const y = tf.where(tf.greaterEqual(x, a.threshold), x, below);
    return a.maxValue === null ? y : tf.minimum(y, a.maxValue);
  },
);

/** Affine rescaling `x * scale + offset` (Keras Rescaling, e.g. 1/255 or 1/127.5 - 1 input scaling). */
export const rescaleOp = elementwise('rescale', { scale: numberAttr(1), offset: numberAttr(0) }, (x, a) => tf.add(tf.mul(x, a.scale), a.offset));

/** The activation-like ops of this file. */
export const extraActivationOps = [leakyReluOp, eluOp, seluOp, swishOp, hardSigmoidOp, geluExactOp, clippedReluOp, rescaleOp];

for (const op of extraActivationOps) registerOp(op);
