import type { Model } from '@bonsai/core';
import { kdLossSpec } from '@bonsai/distill';
import { RecipeError } from '../errors';
import { loadModelSource } from '../model-source';
import { outputDistillation, type OutputDistillation } from '../output-distillation';
import type { StepOf } from '../recipe';
import { runTraining } from '../training';
import { stageLabel, type PipelineState, type StepHandler, type StepReport } from './state';

/** Default learning rates: from scratch vs. fine-tuning a trained (compressed) model. */
export const DEFAULT_LR = { train: 2e-3, fineTune: 5e-4, distill: 1e-3 } as const;

function report(label: string, r: Awaited<ReturnType<typeof runTraining>>, extra: Record<string, unknown> = {}): StepReport {
  const acc = r.testAccuracy.at(-1);
  return {
    summary: `${label}: ${r.epochs} epoch(s)${r.workers > 1 ? ` on ${r.workers} worker threads` : ''}, ${r.steps} steps in ${r.seconds.toFixed(1)} s (${Math.round(r.samplesPerSecond)} samples/s${r.evalSeconds >= 0.05 ? `; ${r.evalSeconds.toFixed(1)} s of it measuring after epochs` : ''})${acc !== undefined ? `, test accuracy ${(acc * 100).toFixed(2)}%` : ''}`,
    details: { ...r, ...extra },
  };
}

/**
 * Without labels, training distils from the original model on all its outputs
 * ({@link outputDistillation}: KD on a class output, relative squared error on other heads):
 * the loss and captures for `train`, or undefined when the data has labels.
 * @throws RecipeError when there is no original model snapshot to distil from.
 */
export function labelFreeLoss(state: PipelineState, index: number, temperature = 4, student: Model = state.model): OutputDistillation | undefined {
  if (state.data.labeled) return undefined;
  if (!state.dense) throw new RecipeError(`the data has no labels, so training distils from the original model; put this step after a compression step (prune, quantize)`, `steps[${index}]`);
  return outputDistillation(state.dense, student, temperature);
}

/** `train`: cross-entropy training of the current model. */
export const trainStep: StepHandler<StepOf<'train'>> = async (step, state, index) => {
  if (!state.data.labeled) throw new RecipeError('"train" needs labels and the data has none (use fineTune after a compression step: it distils from the original model)', `steps[${index}].type`);
  const r = await runTraining(state.model, state.data, step, state.ctx, { label: 'train', defaultLr: DEFAULT_LR.train });
  return report('train', r);
};

/** `fineTune`: recovery training after compression; with `kd` the dense snapshot is the teacher. */
export const fineTuneStep: StepHandler<StepOf<'fineTune'>> = async (step, state, index) => {
  const free = labelFreeLoss(state, index, step.temperature);
  const teacher = step.kd || free ? state.dense : undefined;
  if (step.kd && !teacher) state.ctx.log('fineTune: kd requested but there is no dense snapshot yet (no compression step before it); training without a teacher');
  const loss = free?.loss ?? (teacher ? kdLossSpec(teacher, { temperature: step.temperature, alpha: step.alpha }) : undefined);
  const label = free ? 'fine-tune (KD, no labels)' : teacher ? 'fine-tune (KD)' : 'fine-tune';
  const r = await runTraining(state.model, state.data, step, state.ctx, { label, defaultLr: DEFAULT_LR.fineTune, loss, capture: free?.capture, evalEachEpoch: state.data.labeled });
  state.stage.push(teacher ? 'KD fine-tune' : 'fine-tune');
  return report(free ? 'fine-tune distilled from the input model (no labels)' : teacher ? 'fine-tune with KD' : 'fine-tune', r, { kd: Boolean(teacher), labelFree: Boolean(free) });
};

/** `distill`: trains the current model (the student) against a teacher (given, or the dense snapshot). */
export const distillStep: StepHandler<StepOf<'distill'>> = async (step, state, index) => {
  const teacher = step.teacher
    ? await loadModelSource(step.teacher, { cwd: state.cwd, seed: state.recipe.seed, imageShape: state.data.imageShape, numClasses: state.data.numClasses })
    : state.dense;
  if (!teacher) throw new RecipeError('no teacher: give "teacher" or put a train step and a compression step before it', `steps[${index}].teacher`);
  try {
    // Without labels only the teacher term remains (alpha 1).
    const loss = kdLossSpec(teacher, { temperature: step.temperature, alpha: state.data.labeled ? step.alpha : 1 });
    const r = await runTraining(state.model, state.data, step, state.ctx, { label: 'distill', defaultLr: DEFAULT_LR.distill, loss, evalEachEpoch: state.data.labeled });
    const student = stageLabel(state);
    state.stage.push('distilled');
    return report(`distill (student: ${student})`, r, { temperature: step.temperature, alpha: step.alpha });
  } finally {
    if (step.teacher) teacher.dispose();
  }
};
