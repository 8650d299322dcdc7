import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@bonsai/core';
import type { QParams } from './qparams';
import type { ResolvedScheme } from './scheme';

/** Scale and zero point as tensors broadcastable against a tensor of rank `rank`. */
function paramTensors(qp: QParams, rank: number): { scale: tf.Tensor; zeroPoint: tf.Tensor } {
  if (qp.axis === undefined) return { scale: tf.scalar(qp.scale[0]!), zeroPoint: tf.scalar(qp.zeroPoint[0]!) };
  if (qp.axis >= rank) throw new ShapeError(`quantization axis ${qp.axis} is out of range for a rank-${rank} tensor`);
  const shape = new Array<number>(rank).fill(1);
  shape[qp.axis] = qp.scale.length;
  return { scale: tf.tensor(qp.scale, shape, 'float32'), zeroPoint: tf.tensor(Float32Array.from(qp.zeroPoint), shape, 'float32') };
}

/** Quantized value before clipping: round(x / scale) + zeroPoint (float32 holding integers). */
function unclipped(x: tf.Tensor, scale: tf.Tensor, zeroPoint: tf.Tensor): tf.Tensor {
  return tf.add(tf.round(tf.div(x, scale)), zeroPoint);
}

/**
 * Quantizes `x` to integers in [qmin, qmax] (round half to even, like tf.round / torch), as an
 * int32 tensor. Per-channel params need `x`'s channel count on `qp.axis`.
 */
export function quantize(x: tf.Tensor, qp: QParams): tf.Tensor {
  return tf.tidy(() => {
    const { scale, zeroPoint } = paramTensors(qp, x.rank);
    return tf.cast(tf.clipByValue(unclipped(x, scale, zeroPoint), qp.qmin, qp.qmax), 'int32');
  });
}

/** Dequantizes integers (any dtype) to float32: `(q - zeroPoint) * scale`. */
export function dequantize(q: tf.Tensor, qp: QParams): tf.Tensor {
  return tf.tidy(() => {
    const { scale, zeroPoint } = paramTensors(qp, q.rank);
    return tf.mul(tf.sub(tf.cast(q, 'float32'), zeroPoint), scale);
  });
}

/**
 * Tensor form of fake quantization with a straight-through estimator. `scale` and `zeroPoint`
 * must broadcast against `x`; they are constants for the gradient (no gradient flows into them).
 */
function fakeQuantWith(x: tf.Tensor, scale: tf.Tensor, zeroPoint: tf.Tensor, qmin: number, qmax: number): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const u = unclipped(input, scale, zeroPoint);
    const q = tf.clipByValue(u, qmin, qmax);
    const value = tf.mul(tf.sub(q, zeroPoint), scale);
    // STE: pass the gradient where the integer was not clipped (torch's fake_quantize mask).
    save([tf.cast(tf.logicalAnd(tf.greaterEqual(u, qmin), tf.lessEqual(u, qmax)), 'float32')]);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
  });
  return f(x);
}

/**
 * Fake quantization `dequantize(quantize(x))` in float32 whose gradient is the straight-through
 * estimator: 1 where `round(x / scale) + zeroPoint` lies in [qmin, qmax], 0 where it was clipped
 * (torch.fake_quantize_per_tensor_affine / per_channel_affine).
 */
export function fakeQuant(x: tf.Tensor, qp: QParams): tf.Tensor {
  return tf.tidy(() => {
    const { scale, zeroPoint } = paramTensors(qp, x.rank);
    return fakeQuantWith(x, scale, zeroPoint, qp.qmin, qp.qmax);
  });
}

/**
 * Fake-quantizes a weight with min/max parameters computed from its current values on the fly
 * (per channel along `scheme.axis` when `perChannel`), as QAT does every step. The parameters are
 * gradient constants; the straight-through estimator passes gradients to the weight.
 */
export function fakeQuantMinMax(w: tf.Tensor, scheme: ResolvedScheme): tf.Tensor {
  return tf.tidy(() => {
    const axis = scheme.perChannel ? scheme.axis : undefined;
    if (axis !== undefined && axis >= w.rank) throw new ShapeError(`quantization axis ${axis} is out of range for a rank-${w.rank} weight`);
    const axes = w.shape.map((_, i) => i).filter((i) => i !== axis);
    const lo = tf.minimum(tf.min(w, axes, true), 0);
    const hi = tf.maximum(tf.max(w, axes, true), 0);
    let scale: tf.Tensor;
    let zeroPoint: tf.Tensor;
    if (scheme.symmetric) {
      const m = tf.maximum(tf.neg(lo), hi);
      scale = tf.where(tf.greater(m, 0), tf.div(m, 2 ** (scheme.bits - 1) - 1), tf.onesLike(m));
      zeroPoint = tf.scalar(scheme.signed ? 0 : 2 ** (scheme.bits - 1));
    } else {
      const range = tf.sub(hi, lo);
      scale = tf.where(tf.greater(range, 0), tf.div(range, scheme.qmax - scheme.qmin), tf.onesLike(range));
      zeroPoint = tf.clipByValue(tf.round(tf.sub(scheme.qmin, tf.div(lo, scale))), scheme.qmin, scheme.qmax);
    }
    return fakeQuantWith(w, scale, zeroPoint, scheme.qmin, scheme.qmax);
  });
}
