import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../model';
import { getOp } from '../ops/registry';

/**
 * Re-estimates every batch-norm node's running mean and variance from `inputs` (like torch's
 * `swa_utils.update_bn`): training-mode passes in which batch k folds in with momentum
 * (k-1)/k (passed to the run, not written into the graph), so the result is the exact average
 * of the per-batch statistics. Graph attributes are left untouched. After short training runs,
 * and after pruning changed the activations, the running statistics lag behind the weights;
 * this is the usual fix. The caller owns the input tensors. Returns the number of batch-norm
 * nodes updated; leaves no tensors behind.
 */
export function recalibrateBatchNorm(model: Model, inputs: Iterable<tf.Tensor>): number {
  const count = model.graph.nodes.filter((n) => getOp(n.op, n.id).norm === 'batch').length;
  if (count === 0) return 0;
  let k = 0;
  for (const x of inputs) {
    k++;
    const r = model.run(x, { training: true, momentum: (k - 1) / k });
    tf.dispose([r.output, ...r.outputs, ...Object.values(r.captured)]);
  }
  return count;
}
