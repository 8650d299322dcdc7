/**
 * Training recipe pieces of the ViT bench (issue 14), kept out of the bench flow: random-shift
 * augmentation (a fresh shifted copy of the split per epoch), label-smoothed cross-entropy, and
 * decoupled weight decay (AdamW's `w -= lr * wd * w`, applied after each optimizer step to
 * matrices only: biases, norms and embeddings are not decayed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, crossEntropy, type Batch, type Callback, type LossSpec, type Model } from '@bonsai/core';
import { epochBatches, type Split } from '@bonsai/datasets';

/** A copy of 28x28 `split` with every digit moved by up to `maxShift` pixels in x and y (zero fill). */
export function shiftedSplit(split: Split, maxShift: number, seed: number): Split {
  const rng = createRng(seed);
  const side = 28;
  const out = new Float32Array(split.images.length);
  for (let s = 0; s < split.count; s++) {
    const dy = Math.floor(rng() * (2 * maxShift + 1)) - maxShift;
    const dx = Math.floor(rng() * (2 * maxShift + 1)) - maxShift;
    const base = s * side * side;
    for (let y = Math.max(0, dy); y < Math.min(side, side + dy); y++) {
      const from = base + (y - dy) * side;
      const to = base + y * side;
      const x0 = Math.max(0, dx);
      const x1 = Math.min(side, side + dx);
      out.set(split.images.subarray(from + x0 - dx, from + x1 - dx), to + x0);
    }
  }
  return { ...split, images: out };
}

/** Per-epoch batches of `split`, each epoch randomly shifted by up to `maxShift` pixels (0: none). */
export function augmentedBatches(split: Split, o: { batchSize: number; seed: number; maxShift: number }): (epoch: number) => Iterable<Batch> {
  if (o.maxShift === 0) return epochBatches(split, { batchSize: o.batchSize, seed: o.seed });
  return (epoch) => epochBatches(shiftedSplit(split, o.maxShift, o.seed * 1000 + epoch), { batchSize: o.batchSize, seed: o.seed })(epoch);
}

/** Cross-entropy against labels smoothed to `(1 - eps) * y + eps / classes`. */
export function smoothedCrossEntropy(eps: number): LossSpec {
  return ({ output, batch }) => {
    const k = batch.y.shape[1]!;
    return crossEntropy(output, tf.add(tf.mul(batch.y, 1 - eps), eps / k));
  };
}

/** Decoupled weight decay on every trainable param of rank >= 2 (AdamW), after each step. */
export function decoupledWeightDecay(model: Model, wd: number): Callback {
  return {
    onBatchEnd: (s) => {
      const f = 1 - s.optimizer.lr * wd;
      for (const p of model.trainableParams()) {
        if (p.shape.length < 2) continue;
        const next = tf.mul(p.value, f);
        p.value.assign(next);
        next.dispose();
      }
    },
  };
}
