import { ShapeError, type Model } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkModel, checkTensor } from './validate';

/**
 * How closely a compressed model follows the original on the same inputs (for data without
 * labels, or to see how faithful a compressed model is). These are agreement numbers, not accuracy: they say nothing about being right.
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
  /** Mean KL(original ‖ compressed) of the softmax distributions, in nats (Bernoulli KL for a single score). */
  meanKl: number;
  /** True when the output is a single score per sample, compared as a binary decision (see {@link agreement}). */
  binary?: boolean;
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
  if (classes === 1) return binaryAgreement(teacherOut, studentOut);
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

/**
 * A single score per sample (a sigmoid probability, or a logit): top-1 (= top-k, k 1) agreement
 * is the same decision (both above or both at/below the threshold: 0.5 when every original score
 * is in [0, 1], else 0), KL is that of the Bernoulli distributions (scores in [0, 1] are
 * probabilities, others logits through a sigmoid), max |Δ| as for classes.
 */
function binaryAgreement(teacherOut: tf.Tensor, studentOut: tf.Tensor): Agreement {
  const t = teacherOut.dataSync();
  const s = studentOut.dataSync();
  const n = t.length;
  const probabilities = t.every((v) => v >= 0 && v <= 1);
  const threshold = probabilities ? 0.5 : 0;
  const prob = (v: number): number => Math.min(1 - 1e-7, Math.max(1e-7, probabilities ? v : 1 / (1 + Math.exp(-v))));
  let same = 0;
  let kl = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < n; i++) {
    if (t[i]! > threshold === s[i]! > threshold) same++;
    const p = prob(t[i]!);
    const q = prob(s[i]!);
    kl += p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(t[i]! - s[i]!));
  }
  return { samples: n, top1: same / n, top5: same / n, k: 1, meanKl: Math.max(0, kl / n), maxAbsDiff, binary: true };
}

/** Options of {@link modelAgreement}. */
export interface ModelAgreementOptions {
  /** Samples per forward pass (default 256). */
  batchSize?: number;
}

/**
 * {@link agreement} of `compressed` with `original` on inputs `x` (both models' first outputs,
 * `[n, classes]`, computed in inference mode `batchSize` samples at a time). Leaves no tensors behind.
 * @throws ConfigError for a non-model or non-tensor argument; ShapeError as {@link agreement}.
 */
export function modelAgreement(original: Model, compressed: Model, x: tf.Tensor, options: ModelAgreementOptions = {}): Agreement {
  checkModel(original, 'modelAgreement');
  checkModel(compressed, 'modelAgreement');
  checkTensor(x, 'x', 'modelAgreement');
  const batchSize = options.batchSize ?? 256;
  const [t, s] = [original.predict(x, { batchSize }), compressed.predict(x, { batchSize })];
  try {
    return agreement(t, s);
  } finally {
    tf.dispose([t, s]);
  }
}
