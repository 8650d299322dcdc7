import * as tf from '@tensorflow/tfjs-core';
import type { Attrs, NodeId } from '../ir/types';
import type { Model } from '../model';

/**
 * Re-estimates every batch-norm node's running mean and variance from `inputs` (like torch's
 * `swa_utils.update_bn`): training-mode passes in which batch k folds in with momentum
 * (k-1)/k, so the result is the exact average of the per-batch statistics; each node's momentum
 * is restored afterwards. After short training runs, and after pruning changed the activations,
 * the running statistics lag behind the weights; this is the usual fix. The caller owns the
 * input tensors. Returns the number of batch-norm nodes updated; leaves no tensors behind.
 */
export function recalibrateBatchNorm(model: Model, inputs: Iterable<tf.Tensor>): number {
  const bnNodes = model.graph.nodes.filter((n) => n.op === 'batchNorm');
  if (bnNodes.length === 0) return 0;
  const original = new Map<NodeId, Attrs>(bnNodes.map((n) => [n.id, n.attrs]));
  try {
    let k = 0;
    for (const x of inputs) {
      k++;
      const momentum = (k - 1) / k;
      model.graph.setAttrs(new Map(bnNodes.map((n) => [n.id, { ...original.get(n.id), momentum }])));
      const r = model.run(x, { training: true });
      tf.dispose([r.output, ...r.outputs, ...Object.values(r.captured)]);
    }
  } finally {
    model.graph.setAttrs(original);
  }
  return bnNodes.length;
}
