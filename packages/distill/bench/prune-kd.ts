import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';
import { Pruner, magnitude } from '@bonsai/prune';

/**
 * Structured pruning with @bonsai/prune's real Pruner: a copy of `model` with `ratio` of every
 * prunable channel group removed (L1 magnitude, local per group; the classifier is kept).
 */
export function pruneCopy(model: Model, ratio: number): Model {
  const copy = model.clone();
  new Pruner(copy, { importance: magnitude({ p: 1 }), ratio }).step();
  return copy;
}

/**
 * Re-estimates every batch-norm layer's running statistics on `x` (PreciseBN): layer by layer
 * in graph order, the exact mean and biased variance of its input over all samples (inference
 * mode, so earlier layers already use their new statistics). Pruning removes input channels of
 * each conv, so the old statistics no longer describe its outputs.
 */
export function reestimateBn(model: Model, x: tf.Tensor, batchSize = 250): void {
  for (const node of model.graph.nodes) {
    if (node.op !== 'batchNorm') continue;
    const input = node.inputs[0]!;
    const n = x.shape[0]!;
    let sum: tf.Tensor | undefined;
    let sumSq: tf.Tensor | undefined;
    for (let i = 0; i < n; i += batchSize) {
      const [nextSum, nextSumSq] = tf.tidy(() => {
        const xb = tf.slice(x, [i], [Math.min(batchSize, n - i)]);
        const f = model.run(xb, { capture: [input] }).captured[input]!;
        const axes = f.shape.slice(0, -1).map((_, k) => k);
        const s = tf.sum(f, axes);
        const q = tf.sum(tf.square(f), axes);
        return [sum ? tf.add(sum, s) : s, sumSq ? tf.add(sumSq, q) : q];
      });
      tf.dispose([sum, sumSq]);
      [sum, sumSq] = [nextSum!, nextSumSq!];
    }
    const perChannel = n * model.graph.shape(input).slice(0, -1).reduce((a, b) => a * b, 1);
    tf.tidy(() => {
      const mean = tf.div(sum!, perChannel);
      const variance = tf.relu(tf.sub(tf.div(sumSq!, perChannel), tf.square(mean)));
      model.param(node.id, 'movingMean')!.assign(mean); // inside tidy: Param.assign leaks a cast copy otherwise
      model.param(node.id, 'movingVariance')!.assign(variance);
    });
    tf.dispose([sum, sumSq]);
  }
}
