import { agp, globalUnstructured, gradualPruning, l1Unstructured, randomUnstructured, sparsityReport } from '@bonsai/prune';
import { RecipeError } from '../errors';
import type { StepOf } from '../recipe';
import { runTraining } from '../training';
import type { PipelineState, StepHandler } from './state';
import { structuredPrune } from './structured';
import { DEFAULT_LR, labelFreeLoss } from './train';

/** Kernel params of the model minus those of `ignored` nodes (names for @bonsai/prune's `params`). */
export function prunableKernels(state: PipelineState, ignored: readonly string[]): string[] {
  const skip = new Set(ignored);
  return [...state.model.params.values()].filter((p) => p.trainable && p.role === 'kernel' && !skip.has(p.nodeId)).map((p) => p.name);
}

function maskSparsity(state: PipelineState, params: readonly string[]): number {
  return sparsityReport(state.model, { params }).total.sparsity;
}

/** `prune`: one-shot structured (channels removed physically) or unstructured (masks, torch.nn.utils.prune) pruning. */
export const pruneStep: StepHandler<StepOf<'prune'>> = async (step, state, index) => {
  if (step.method === 'structured') return structuredPrune(step, state, index);
  for (const id of step.ignored) {
    if (!state.model.graph.nodes.some((n) => n.id === id)) throw new RecipeError(`no node "${id}" in the model`, `steps[${index}].ignored`);
  }
  const params = prunableKernels(state, step.ignored);
  const amount = step.ratio;
  if (step.importance === 'random') randomUnstructured(state.model, { amount, params, seed: state.recipe.seed });
  else if (step.importance === 'l1' || step.importance === 'l2') {
    // |w| ranks entries identically for L1 and L2.
    if (step.global) globalUnstructured(state.model, { amount, params });
    else l1Unstructured(state.model, { amount, params });
  } else {
    throw new RecipeError(`importance "${step.importance}" scores channels; unstructured pruning supports "l1", "l2" and "random"`, `steps[${index}].importance`);
  }
  state.masked = true;
  const sparsity = maskSparsity(state, params);
  state.stage.push(`unstructured ${Math.round(step.ratio * 100)}%`);
  return {
    summary: `unstructured ${step.global ? 'global' : 'layer-wise'} ${step.importance} pruning: ${(sparsity * 100).toFixed(1)}% of ${params.length} weight tensors are zero`,
    details: { method: 'unstructured', sparsity, params },
  };
};

/** `gradualPrune`: AGP (cubic) magnitude pruning while training, from `initialSparsity` to `finalSparsity`. */
export const gradualPruneStep: StepHandler<StepOf<'gradualPrune'>> = async (step, state, index) => {
  const batchSize = step.batchSize ?? state.data.batchSize;
  const total = Math.min(Math.ceil(state.data.train.count / batchSize) * step.epochs, step.maxSteps ?? Infinity);
  // Reach the final sparsity at ~75% of the steps, then let the remaining steps recover.
  const endStep = Math.max(0, Math.floor(total * 0.75) - 1);
  const frequency = Math.max(1, Math.min(step.frequency, endStep || 1));
  const params = prunableKernels(state, []);
  const callback = gradualPruning({
    schedule: agp({ initialSparsity: step.initialSparsity, finalSparsity: step.finalSparsity, beginStep: 0, endStep, frequency }),
    params,
    global: step.global,
  });
  const free = labelFreeLoss(state, index);
  const r = await runTraining(state.model, state.data, step, state.ctx, { label: 'gradual prune', defaultLr: DEFAULT_LR.fineTune, callbacks: [callback], loss: free?.loss, capture: free?.capture, evalEachEpoch: state.data.labeled });
  callback.update(endStep, state.model);
  state.masked = true;
  const sparsity = maskSparsity(state, params);
  state.stage.push(`AGP ${Math.round(step.finalSparsity * 100)}%`);
  const acc = r.testAccuracy.at(-1);
  return {
    summary: `gradual pruning to ${(sparsity * 100).toFixed(1)}% sparsity over ${r.steps} steps (${callback.history.length} mask updates)${acc !== undefined ? `, test accuracy ${(acc * 100).toFixed(2)}%` : ''}`,
    details: { sparsity, updates: callback.history.length, training: r },
  };
};
