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
 * nodes updated; leaves no tensors behind. {@link recalibrateBatchNormAsync} reads a stream.
 */
export function recalibrateBatchNorm(model: Model, inputs: Iterable<tf.Tensor>): number {
  const count = batchNormCount(model);
  if (count === 0) return 0;
  let k = 0;
  for (const x of inputs) foldIn(model, x, ++k);
  return count;
}

/**
 * {@link recalibrateBatchNorm} over an async stream of batches (e.g. decoded from files batch
 * by batch), so only the batch in flight is held. Same result for the same batches.
 */
export async function recalibrateBatchNormAsync(model: Model, inputs: AsyncIterable<tf.Tensor>): Promise<number> {
  const count = batchNormCount(model);
  if (count === 0) return 0;
  let k = 0;
  for await (const x of inputs) foldIn(model, x, ++k);
  return count;
}

function batchNormCount(model: Model): number {
  return model.graph.nodes.filter((n) => getOp(n.op, n.id).norm === 'batch').length;
}

/** Batch `k` (1-based) of a re-estimation: one training pass with momentum (k-1)/k. */
function foldIn(model: Model, x: tf.Tensor, k: number): void {
  const r = model.run(x, { training: true, momentum: (k - 1) / k });
  tf.dispose([r.output, ...r.outputs, ...Object.values(r.captured)]);
}
