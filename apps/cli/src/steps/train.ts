import { kdLossSpec } from '@bonsai/distill';
import { RecipeError } from '../errors';
import { loadModelSource } from '../model-source';
import type { StepOf } from '../recipe';
import { runTraining } from '../training';
import { stageLabel, type StepHandler, type StepReport } from './state';

/** Default learning rates: from scratch vs. fine-tuning a trained (compressed) model. */
export const DEFAULT_LR = { train: 2e-3, fineTune: 5e-4, distill: 1e-3 } as const;

function report(label: string, r: Awaited<ReturnType<typeof runTraining>>, extra: Record<string, unknown> = {}): StepReport {
  const acc = r.testAccuracy.at(-1);
  return {
    summary: `${label}: ${r.epochs} epoch(s), ${r.steps} steps in ${r.seconds.toFixed(1)} s (${Math.round(r.samplesPerSecond)} samples/s)${acc !== undefined ? `, test accuracy ${(acc * 100).toFixed(2)}%` : ''}`,
    details: { ...r, ...extra },
  };
}

/** `train`: cross-entropy training of the current model. */
export const trainStep: StepHandler<StepOf<'train'>> = async (step, state) => {
  const r = await runTraining(state.model, state.data, step, state.ctx, { label: 'train', defaultLr: DEFAULT_LR.train });
  return report('train', r);
};

/** `fineTune`: recovery training after compression; with `kd` the dense snapshot is the teacher. */
export const fineTuneStep: StepHandler<StepOf<'fineTune'>> = async (step, state) => {
  const teacher = step.kd ? state.dense : undefined;
  if (step.kd && !teacher) state.ctx.log('fineTune: kd requested but there is no dense snapshot yet (no compression step before it); training without a teacher');
  const loss = teacher ? kdLossSpec(teacher, { temperature: step.temperature, alpha: step.alpha }) : undefined;
  const r = await runTraining(state.model, state.data, step, state.ctx, { label: teacher ? 'fine-tune (KD)' : 'fine-tune', defaultLr: DEFAULT_LR.fineTune, loss });
  state.stage.push(teacher ? 'KD fine-tune' : 'fine-tune');
  return report(teacher ? 'fine-tune with KD' : 'fine-tune', r, { kd: Boolean(teacher) });
};

/** `distill`: trains the current model (the student) against a teacher (given, or the dense snapshot). */
export const distillStep: StepHandler<StepOf<'distill'>> = async (step, state, index) => {
  const teacher = step.teacher
    ? await loadModelSource(step.teacher, { cwd: state.cwd, seed: state.recipe.seed, imageShape: state.data.imageShape, numClasses: state.data.numClasses })
    : state.dense;
  if (!teacher) throw new RecipeError('no teacher: give "teacher" or put a train step and a compression step before it', `steps[${index}].teacher`);
  try {
    const loss = kdLossSpec(teacher, { temperature: step.temperature, alpha: step.alpha });
    const r = await runTraining(state.model, state.data, step, state.ctx, { label: 'distill', defaultLr: DEFAULT_LR.distill, loss });
    const student = stageLabel(state);
    state.stage.push('distilled');
    return report(`distill (student: ${student})`, r, { temperature: step.temperature, alpha: step.alpha });
  } finally {
    if (step.teacher) teacher.dispose();
  }
};
