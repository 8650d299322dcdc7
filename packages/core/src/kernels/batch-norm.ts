/**
 * Training-mode batch normalization over the last (channel) axis with a closed-form backward.
 *
 * Autodiff through `tf.moments` walks Mean/Sum gradients that broadcast `dy` back to the
 * input's shape (wasm's Tile is ~40x slower than a broadcasting add) and saves every
 * intermediate. Here, with x viewed as [n, C]:
 *   forward:  mean = E[x], var = E[(x - mean)²], y = x·scale + shift,
 *             scale = γ·r, shift = β - mean·scale, r = 1/√(var + ε);
 *   backward: with k = E[dy·x] - mean·E[dy]: dβ = n·E[dy], dγ = n·k·r,
 *             dx = scale·dy + b·x + c, b = -scale·r²·k, c = -scale·E[dy] - b·mean.
 * Channel means are one average pool over a [1, n, 1, C] view and per-channel affines a 1x1
 * depthwise conv: on wasm both are several times faster than Sum/Mean over the leading axes
 * (which transpose first), MatMul against a fresh operand (XNNPACK repacks it) and broadcasting Mul/Add.
 */
import * as tf from '@tensorflow/tfjs-core';

/** What {@link batchNormTraining} returns; the caller owns all three tensors. */
export interface BatchNormTrainingResult {
  /** The normalized, scaled and shifted input (differentiable w.r.t. x, gamma and beta). */
  y: tf.Tensor;
  /** Batch mean per channel, [C] (not differentiable). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel, [C] (not differentiable). */
  variance: tf.Tensor1D;
}

/** Per-channel means of a [n, C] tensor: one average pool over a [1, n, 1, C] view. */
function channelMean(t: tf.Tensor2D): tf.Tensor1D {
  const [n, c] = t.shape;
  return tf.reshape(tf.avgPool(tf.reshape(t, [1, n, 1, c]) as tf.Tensor4D, [n, 1], [n, 1], 'valid'), [c]);
}

/** `t * scale + shift` per channel of a [n, C] tensor, as a 1x1 depthwise conv. */
function channelAffine(t: tf.Tensor2D, scale: tf.Tensor1D, shift?: tf.Tensor1D): tf.Tensor2D {
  const [n, c] = t.shape;
  const x = tf.reshape(t, [1, n, 1, c]) as tf.Tensor4D;
  const filter = tf.reshape(scale, [1, 1, c, 1]) as tf.Tensor4D;
  const y = shift
    ? tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'valid', bias: shift })
    : tf.depthwiseConv2d(x, filter, 1, 'valid');
  return tf.reshape(y, [n, c]);
}

/**
 * Batch norm of `x` with its own batch statistics over every axis but the last; `gamma`,
 * `beta` are [C]. Returns the output and the batch statistics (for the running averages).
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): BatchNormTrainingResult {
  const c = x.shape[x.rank - 1]!;
  const n = x.size / c;
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const x2 = tf.reshape(xi, [n, c]) as tf.Tensor2D;
    const mean = channelMean(x2);
    const variance = channelMean(tf.squaredDifference(x2, mean) as tf.Tensor2D);
    const invStd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const scale = tf.mul(tf.reshape(g, [c]), invStd) as tf.Tensor1D;
    const shift = tf.sub(tf.reshape(b, [c]), tf.mul(mean, scale)) as tf.Tensor1D;
    const y = tf.reshape(channelAffine(x2, scale, shift), xi.shape);
    // The statistics leave the customGrad's tidy for the running-average updates.
    stats = [tf.keep(mean), tf.keep(variance)];
    save([x2, mean, invStd, scale]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [xs, m, is, sc] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const dy2 = tf.reshape(dy, [n, c]) as tf.Tensor2D;
        const mDy = channelMean(dy2);
        const mDyX = channelMean(tf.mul(dy2, xs) as tf.Tensor2D);
        const centered = tf.sub(mDyX, tf.mul(m, mDy));
        const bx = tf.neg(tf.mul(tf.mul(sc, tf.square(is)), centered)) as tf.Tensor1D;
        const cx = tf.sub(tf.neg(tf.mul(sc, mDy)), tf.mul(bx, m)) as tf.Tensor1D;
        const dx = tf.add(channelAffine(dy2, sc), channelAffine(xs, bx, cx));
        const dGamma = tf.mul(tf.mul(centered, is), n);
        return [tf.reshape(dx, dy.shape), tf.reshape(dGamma, g.shape), tf.reshape(tf.mul(mDy, n), b.shape)];
      }),
    };
  });
  const y = op(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean, variance };
}
