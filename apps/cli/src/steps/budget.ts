import * as tf from '@tensorflow/tfjs-core';
import { compressToBudget, parseTargets } from '@bonsai/budget';
import { partTensors } from '../stream';
import { RecipeError } from '../errors';
import type { StepOf } from '../recipe';
import type { PipelineState, StepReport } from './state';

/**
 * `budget`: @bonsai/budget's compressToBudget on the current model. The last `valSamples`
 * training samples score per-group sensitivity (accuracy with labels, agreement with the input
 * model without); the rest KD-fine-tune the pruned model from the input model. The test split is
 * left for the eval step. @bonsai/budget takes tensors, so this step reads the training part
 * into memory (the one step that does). The report (predicted vs measured per target) goes to the step details.
 */
export async function budgetStep(step: StepOf<'budget'>, state: PipelineState, index: number): Promise<StepReport> {
  let target: ReturnType<typeof parseTargets>;
  try {
    target = parseTargets(step.target);
  } catch (e) {
    throw new RecipeError((e as Error).message, `steps[${index}].target`);
  }
  const all = await partTensors(state.data, state.data.train);
  const n = all.x.shape[0];
  const valCount = Math.min(step.valSamples, Math.floor(n / 2));
  if (valCount < 1) {
    tf.dispose([all.x, all.y]);
    throw new RecipeError(`budget needs training samples to score sensitivity on; the data has ${n}`, `steps[${index}]`);
  }
  const cut = (t: tf.Tensor, a: number, len: number): tf.Tensor => tf.slice(t, [a], [len]);
  const train = { x: cut(all.x, 0, n - valCount), y: state.data.labeled ? cut(all.y, 0, n - valCount) : undefined };
  const val = { x: cut(all.x, n - valCount, valCount), y: state.data.labeled ? cut(all.y, n - valCount, valCount) : undefined };
  tf.dispose([all.x, all.y]);
  try {
    const r = await compressToBudget(state.model, { val, train }, {
      target,
      maxDrop: step.maxDrop / 100,
      workers: step.workers,
      latency: { batch: step.latencyBatch },
      fineTune: { epochs: step.fineTuneEpochs, batchSize: state.data.batchSize },
      onProgress: (m) => state.ctx.log(`budget: ${m}`),
    });
    if (state.model !== state.dense) state.model.dispose();
    state.model = r.model;
    state.stage.push(`budget ${step.target}`);
    state.ctx.log(r.report.markdown);
    return { summary: `budget ${step.target}, max drop ${step.maxDrop} pt: ${r.report.summary}`, details: { ratios: r.allocation.ratios, report: { ...r.report, markdown: undefined } } };
  } finally {
    tf.dispose([train.x, val.x, ...(train.y ? [train.y] : []), ...(val.y ? [val.y] : [])]);
  }
}
