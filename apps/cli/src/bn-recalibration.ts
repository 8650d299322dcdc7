import * as tf from '@tensorflow/tfjs-core';
import { recalibrateBatchNormAsync, type Model } from '@bonsai/core';
import { batchForMemory } from './batch-memory';
import type { DataSplits } from './data';
import { partBatches } from './stream';

/**
 * Re-estimates the running statistics of every batch-norm node (core's
 * `recalibrateBatchNormAsync`: the exact average of the per-batch statistics) from the first
 * `samples` training samples (default: 1/8 of the part, clamped to 256..1024), streamed in
 * batches of `batchSize`, so only one batch is held at a time (nothing is read without batch norm). Returns the number of batch-norm
 * nodes updated. Creates no lasting tensors; graph attributes are left untouched.
 */
export async function recalibrateBatchNorm(model: Model, data: DataSplits, o: { samples?: number; batchSize?: number } = {}): Promise<number> {
  const samples = Math.min(o.samples ?? Math.max(256, Math.floor(data.train.count / 8)), 1024, data.train.count);
  const batchSize = o.batchSize ?? batchForMemory(model, 256, { training: false });
  async function* inputs(): AsyncGenerator<tf.Tensor> {
    for await (const b of partBatches(data, data.train, { batchSize, count: samples })) {
      try {
        yield b.x;
      } finally {
        tf.dispose([b.x, b.y]);
      }
    }
  }
  return recalibrateBatchNormAsync(model, inputs());
}
