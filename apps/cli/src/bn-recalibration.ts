import * as tf from '@tensorflow/tfjs-core';
import { getOp, type Model } from '@bonsai/core';
import { batchForMemory } from './batch-memory';
import type { DataSplits } from './data';
import { partBatches } from './stream';

/**
 * Re-estimates the running statistics of every batch-norm node from the first `samples` training
 * samples (default: 1/8 of the part, clamped to 256..1024), streamed in batches of `batchSize`:
 * a running estimate in which batch k folds in with momentum (k-1)/k — the exact average of the
 * per-batch statistics, as core's `recalibrateBatchNorm` computes over an in-memory iterable —
 * so only one batch is held at a time. Returns the number of batch-norm nodes updated. Creates
 * no lasting tensors; graph attributes are left untouched.
 */
export async function recalibrateBatchNorm(model: Model, data: DataSplits, o: { samples?: number; batchSize?: number } = {}): Promise<number> {
  const count = model.graph.nodes.filter((n) => getOp(n.op, n.id).norm === 'batch').length;
  if (count === 0) return 0;
  const samples = Math.min(o.samples ?? Math.max(256, Math.floor(data.train.count / 8)), 1024, data.train.count);
  const batchSize = o.batchSize ?? batchForMemory(model, 256, { training: false });
  let k = 0;
  for await (const b of partBatches(data, data.train, { batchSize, count: samples })) {
    try {
      k++;
      const r = model.run(b.x, { training: true, momentum: (k - 1) / k });
      tf.dispose([r.output, ...r.outputs, ...Object.values(r.captured)]);
    } finally {
      tf.dispose([b.x, b.y]);
    }
  }
  return count;
}
