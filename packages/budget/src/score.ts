import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, type Model } from '@bonsai/core';

/** Held-out data: inputs and, when known, labels (one-hot `[n, classes]` or integer `[n]`). */
export interface HeldOut {
  x: tf.Tensor;
  y?: tf.Tensor;
}

/** Top-1 classes of `model` on `x`, predicted in batches. */
export function topClasses(model: Model, x: tf.Tensor, batchSize = 256): Int32Array {
  const out = tf.tidy(() => tf.argMax(model.predict(x, { batchSize }), -1));
  try {
    return Int32Array.from(out.dataSync());
  } finally {
    out.dispose();
  }
}

/** Integer labels of `y` (argmax of one-hot rows, or the values of a rank-1 tensor). */
export function labelsOf(y: tf.Tensor, what = 'y'): Int32Array {
  if (y.rank !== 1 && y.rank !== 2) throw new ShapeError(`${what} must be one-hot [n, classes] or integer labels [n], got shape [${y.shape.join(', ')}]`, what);
  const t = y.rank === 2 ? tf.argMax(y, -1) : tf.cast(y, 'int32');
  try {
    return Int32Array.from(t.dataSync());
  } finally {
    t.dispose();
  }
}

/** Fraction of `predicted` equal to `reference`. */
export function matchRate(predicted: Int32Array, reference: Int32Array): number {
  if (predicted.length !== reference.length) throw new ConfigError(`matchRate: ${predicted.length} predictions for ${reference.length} references`);
  let hit = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === reference[i]) hit++;
  return predicted.length ? hit / predicted.length : 0;
}

/**
 * The references a compressed model is scored against: the labels (metric `accuracy`) when `data.y`
 * is given, else the dense model's own top-1 classes (metric `agreement`).
 */
export function references(dense: Model, data: HeldOut, batchSize = 256): { metric: 'accuracy' | 'agreement'; labels: Int32Array } {
  if (data.y) {
    const labels = labelsOf(data.y, 'data.val.y');
    if (labels.length !== data.x.shape[0]) throw new ShapeError(`data.val.y has ${labels.length} labels for ${data.x.shape[0]} inputs`, 'data.val.y');
    return { metric: 'accuracy', labels };
  }
  return { metric: 'agreement', labels: topClasses(dense, data.x, batchSize) };
}
