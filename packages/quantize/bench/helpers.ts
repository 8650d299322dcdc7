import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';

/** Top-1 accuracy of `model` on `x` against integer `labels`. */
export function accuracyOf(model: Model, x: tf.Tensor, labels: Uint8Array): number {
  const pred = tf.tidy(() => tf.argMax(model.predict(x, { batchSize: 500 }), -1).dataSync());
  let ok = 0;
  labels.forEach((l, i) => {
    if (pred[i] === l) ok++;
  });
  return ok / labels.length;
}
