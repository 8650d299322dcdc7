import { ShapeError } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * How closely a compressed model follows the original on the same inputs, for data without
 * labels. These are agreement numbers, not accuracy: they say nothing about being right.
 */
export interface Agreement {
  /** Samples compared. */
  samples: number;
  /** Fraction of samples whose top-1 class is the original's top-1 class. */
  top1: number;
  /** Fraction of samples whose top-1 class is among the original's top-5 classes (top-k with k = min(5, classes)). */
  top5: number;
  /** k used for {@link top5} (5, or the class count when smaller). */
  k: number;
  /** Mean KL(original ‖ compressed) of the softmax distributions, in nats. */
  meanKl: number;
  /** Largest |original - compressed| over all output values (logits as the models emit them). */
  maxAbsDiff: number;
}

/**
 * Agreement of `studentOut` with `teacherOut` (both `[n, classes]` outputs of the original and the
 * compressed model on the same inputs; logits or probabilities, softmax is applied for KL). Disposes
 * nothing it was given and leaves no tensors behind.
 * @throws ShapeError when the shapes differ or are not `[n, classes]`.
 */
export function agreement(teacherOut: tf.Tensor, studentOut: tf.Tensor): Agreement {
  if (teacherOut.rank !== 2 || teacherOut.shape.join() !== studentOut.shape.join()) {
    throw new ShapeError(`agreement: outputs must both be [n, classes], got [${teacherOut.shape.join(', ')}] and [${studentOut.shape.join(', ')}]`);
  }
  const [n, classes] = teacherOut.shape as [number, number];
  const k = Math.min(5, classes);
  if (n === 0) return { samples: 0, top1: 1, top5: 1, k, meanKl: 0, maxAbsDiff: 0 };
  const [sTop, kl, diff] = tf.tidy(() => {
    const logP = tf.logSoftmax(teacherOut);
    const logQ = tf.logSoftmax(studentOut);
    const klPerSample = tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1);
    return [tf.argMax(studentOut, 1), tf.mean(klPerSample), tf.max(tf.abs(tf.sub(teacherOut, studentOut)))];
  });
  const t = teacherOut.dataSync();
  const s = sTop.dataSync();
  let top1 = 0;
  let topK = 0;
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    const pick = t[row + s[i]!]!;
    // Rank of the compressed model's class in the original's row (ties count in its favour, as argmax does).
    let above = 0;
    for (let c = 0; c < classes; c++) if (t[row + c]! > pick) above++;
    if (above === 0) top1++;
    if (above < k) topK++;
  }
  const out: Agreement = { samples: n, top1: top1 / n, top5: topK / n, k, meanKl: Math.max(0, kl.dataSync()[0]!), maxAbsDiff: diff.dataSync()[0]! };
  tf.dispose([sTop, kl, diff]);
  return out;
}
