import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@bonsai/core';
import { checkMinRank, checkPositive } from './validate';

/** Options of {@link attentionMap} and {@link attentionLoss}. */
export interface AttentionOptions {
  /** Exponent p of `sum_c |f|^p` (default 2, as in the paper's experiments). */
  p?: number;
}

/**
 * Activation-based spatial attention map (Zagoruyko & Komodakis): `sum_c |f|^p` over the
 * channel (last, NHWC) axis, flattened to `[b, positions]` and L2-normalized per sample.
 */
export function attentionMap(feature: tf.Tensor, options: AttentionOptions = {}): tf.Tensor2D {
  const p = options.p ?? 2;
  checkPositive('attentionMap: p', p);
  checkMinRank('attentionMap', feature, 2);
  return tf.tidy(() => {
    const a = tf.abs(feature);
    const powered = p === 2 ? tf.square(feature) : p === 1 ? a : tf.pow(a, p);
    const map = tf.reshape(tf.sum(powered, -1), [feature.shape[0]!, -1]);
    return l2Normalize(map) as tf.Tensor2D;
  });
}

/**
 * Attention-transfer loss: mean over samples and positions of the squared difference of the
 * normalized attention maps (the authors' code, `(at(s) - at(t)).pow(2).mean()`; they weight it
 * by beta/2 = 500). Channel counts may differ; the spatial axes must match.
 * @throws ShapeError when batch or spatial axes differ.
 */
export function attentionLoss(student: tf.Tensor, teacher: tf.Tensor, options: AttentionOptions = {}): tf.Scalar {
  const sSpatial = student.shape.slice(0, -1);
  const tSpatial = teacher.shape.slice(0, -1);
  if (sSpatial.length !== tSpatial.length || sSpatial.some((d, i) => d !== tSpatial[i])) {
    throw new ShapeError(`attentionLoss: student feature [${student.shape.join(', ')}] and teacher feature [${teacher.shape.join(', ')}] differ outside the channel axis`);
  }
  return tf.tidy(() => tf.mean(tf.squaredDifference(attentionMap(student, options), attentionMap(teacher, options))) as tf.Scalar);
}

/** Rows divided by their L2 norm (clamped at 1e-12, zero rows stay zero with zero gradient). */
export function l2Normalize(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-24))));
}
