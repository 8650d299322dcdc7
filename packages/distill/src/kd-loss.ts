import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, crossEntropy } from '@bonsai/core';
import { checkPositive, checkSameShape, checkUnit } from './validate';

/**
 * A response-based distillation loss: student logits, (frozen) teacher logits and the
 * batch's labels (one-hot or soft, `[b, k]`) in, a scalar out.
 */
export type ResponseLoss = (student: tf.Tensor, teacher: tf.Tensor, labels?: tf.Tensor) => tf.Scalar;

/** Options of {@link kdLoss}. */
export interface KdOptions {
  /** Softmax temperature T > 0 (default 4). */
  temperature?: number;
  /** Weight of the soft (teacher) term in [0, 1]; the hard-label term gets 1 - alpha (default 0.9). */
  alpha?: number;
}

/** {@link kdLoss}'s function, carrying its resolved settings. */
export interface KdLoss extends ResponseLoss {
  readonly temperature: number;
  readonly alpha: number;
}

/**
 * Hinton et al.'s knowledge-distillation loss:
 * `alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)`, where KL is summed
 * over classes and averaged over the batch (torch's `kl_div(..., reduction='batchmean')`) and CE
 * is core's mean softmax cross-entropy. The T^2 factor keeps the soft term's gradient scale
 * independent of T. Labels are only needed when `alpha < 1`.
 * @throws ConfigError for `temperature <= 0` or `alpha` outside [0, 1].
 */
export function kdLoss(options: KdOptions = {}): KdLoss {
  const temperature = options.temperature ?? 4;
  const alpha = options.alpha ?? 0.9;
  checkPositive('kdLoss: temperature', temperature);
  checkUnit('kdLoss: alpha', alpha);
  const fn = (student: tf.Tensor, teacher: tf.Tensor, labels?: tf.Tensor): tf.Scalar => {
    checkSameShape('kdLoss logits', student, teacher);
    if (alpha < 1) {
      if (!labels) throw new ConfigError('kdLoss: labels are required when alpha < 1 (the hard-label term)');
      checkSameShape('kdLoss', student, labels, ['student logits', 'labels']);
    }
    return tf.tidy(() => {
      const terms: tf.Scalar[] = [];
      if (alpha > 0) terms.push(tf.mul(softKl(student, teacher, temperature), alpha * temperature * temperature));
      if (alpha < 1) terms.push(tf.mul(crossEntropy(student, labels!), 1 - alpha));
      return (terms.length === 1 ? terms[0]! : tf.add(terms[0]!, terms[1]!)) as tf.Scalar;
    });
  };
  return Object.assign(fn, { temperature, alpha });
}

/** `KL(softmax(t/T) || softmax(s/T))` summed over the last axis, averaged over the rest. */
export function softKl(student: tf.Tensor, teacher: tf.Tensor, temperature: number): tf.Scalar {
  checkPositive('softKl: temperature', temperature);
  checkSameShape('softKl logits', student, teacher);
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(tf.div(teacher, temperature));
    const logPs = tf.logSoftmax(tf.div(student, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1);
    return tf.mean(kl) as tf.Scalar;
  });
}
