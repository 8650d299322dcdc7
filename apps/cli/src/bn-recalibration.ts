import * as tf from '@tensorflow/tfjs-core';
import type { Attrs, Model, NodeId } from '@bonsai/core';
import { batches } from '@bonsai/datasets';
import type { DataSplits } from './data';

/**
 * Re-estimates the running mean/variance of every batch-norm node from `samples` training
 * samples (default: 1/8 of the split, clamped to 256..1024; exact average over batches: batch k
 * uses momentum (k-1)/k), then restores the nodes' momentum. After short training runs, and after pruning changed the activations, the
 * running statistics lag behind the weights; this is the usual "BN recalibration" fix.
 * Returns the number of batch-norm nodes updated. Creates no lasting tensors.
 */
export function recalibrateBatchNorm(model: Model, data: DataSplits, o: { samples?: number; batchSize?: number } = {}): number {
  const bnNodes = model.graph.nodes.filter((n) => n.op === 'batchNorm');
  if (bnNodes.length === 0) return 0;
  const original = new Map<NodeId, Attrs>(bnNodes.map((n) => [n.id, n.attrs]));
  const count = Math.min(o.samples ?? Math.max(256, Math.floor(data.train.count / 8)), 1024, data.train.count);
  const size = data.imageShape.reduce((a, b) => a * b, 1);
  const split = { images: data.train.images.subarray(0, count * size), labels: data.train.labels.subarray(0, count), count };
  try {
    let k = 0;
    for (const b of batches(split, { batchSize: o.batchSize ?? 256, imageShape: data.imageShape, numClasses: data.numClasses })) {
      k++;
      const momentum = (k - 1) / k;
      model.graph.setAttrs(new Map(bnNodes.map((n) => [n.id, { ...original.get(n.id), momentum }])));
      try {
        const r = model.run(b.x, { training: true });
        tf.dispose([r.output, ...r.outputs, ...Object.values(r.captured)]);
      } finally {
        b.x.dispose();
        b.y.dispose();
      }
    }
  } finally {
    model.graph.setAttrs(original);
  }
  return bnNodes.length;
}
