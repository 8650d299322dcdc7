import type * as tf from '@tensorflow/tfjs-core';
import { getOp, recalibrateBatchNorm as recalibrate, type Model } from '@bonsai/core';
import { batches } from '@bonsai/datasets';
import { batchForMemory } from './batch-memory';
import type { DataSplits } from './data';

/**
 * Re-estimates the running statistics of every batch-norm node (core's `recalibrateBatchNorm`)
 * from `samples` training samples (default: 1/8 of the split, clamped to 256..1024), in batches
 * of `batchSize`. Returns the number of batch-norm nodes updated. Creates no lasting tensors.
 */
export function recalibrateBatchNorm(model: Model, data: DataSplits, o: { samples?: number; batchSize?: number } = {}): number {
  if (!model.graph.nodes.some((n) => getOp(n.op, n.id).norm === 'batch')) return 0;
  const count = Math.min(o.samples ?? Math.max(256, Math.floor(data.train.count / 8)), 1024, data.train.count);
  const size = data.imageShape.reduce((a, b) => a * b, 1);
  const split = { images: data.train.images.subarray(0, count * size), labels: data.train.labels.subarray(0, count), count };
  function* inputs(): Generator<tf.Tensor> {
    for (const b of batches(split, { batchSize: o.batchSize ?? batchForMemory(model, 256, { training: false }), imageShape: data.imageShape, numClasses: data.numClasses })) {
      try {
        yield b.x;
      } finally {
        b.x.dispose();
        b.y.dispose();
      }
    }
  }
  return recalibrate(model, inputs());
}
