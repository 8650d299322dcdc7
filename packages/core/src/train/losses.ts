import * as tf from '@tensorflow/tfjs-core';

/** Mean softmax cross-entropy between logits [b, k] and one-hot (or soft) labels [b, k]. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, logp), -1))) as tf.Scalar;
  });
}

/** Mean squared error. */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}
