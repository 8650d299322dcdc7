import { backendInfo, initBackend, type BackendInfo } from '@bonsai/core';
import { compare, type Comparison, type Metrics } from '@bonsai/eval';
import type { RunContext } from './context';
import { loadData } from './data';
import { loadModelSource } from './model-source';
import type { Recipe, Step } from './recipe';
import { evalStep, measure } from './steps/eval';
import { gradualPruneStep, pruneStep } from './steps/prune';
import { QuantizedModel } from '@bonsai/quantize';
import { adoptQuantized, quantizeStep } from './steps/quantize';
import { exportStep } from './steps/export';
import { saveStep, writeModel } from './steps/save';
import { COMPRESSION_STEPS, stageLabel, type PipelineState, type StepHandler, type StepReport } from './steps/state';
import { distillStep, fineTuneStep, trainStep } from './steps/train';

/** One executed step in a {@link PipelineResult}. */
export interface StepResult extends StepReport {
  index: number;
  type: Step['type'];
  seconds: number;
}

/** What running a recipe produced. */
export interface PipelineResult {
  name?: string;
  backend: BackendInfo;
  data: { dataset: string; train: number; test: number };
  steps: StepResult[];
  /** Dense baseline vs. every evaluated stage vs. the final model. */
  comparison: Comparison;
  /** Where the final model was written. */
  output?: { dir: string; bytes: number; format: string };
  seconds: number;
}

const HANDLERS: { [K in Step['type']]: StepHandler<Extract<Step, { type: K }>> } = {
  train: trainStep,
  fineTune: fineTuneStep,
  distill: distillStep,
  prune: pruneStep,
  gradualPrune: gradualPruneStep,
  quantize: quantizeStep,
  eval: evalStep,
  save: saveStep,
  export: exportStep,
};

function runHandler(step: Step, state: PipelineState, index: number): Promise<StepReport> {
  return (HANDLERS[step.type] as StepHandler)(step, state, index);
}

/** Options of {@link runRecipe}. */
export interface RunRecipeOptions {
  /** Folder that relative paths in the recipe resolve against. */
  cwd: string;
  /** Latency runs of the automatic evaluations (baseline, final). */
  latencyRuns?: number;
}

/**
 * Runs a validated recipe: loads data and model, executes the steps in order (snapshotting the
 * dense model before the first compression step as baseline and KD teacher), evaluates the
 * final model, prints the comparison table and writes `output`.
 */
export async function runRecipe(recipe: Recipe, ctx: RunContext, options: RunRecipeOptions): Promise<PipelineResult> {
  const t0 = performance.now();
  await initBackend(recipe.backend);
  const backend = backendInfo();
  ctx.log(`backend: ${backend.name} (simd: ${backend.simd ? 'yes' : 'no'}, threads: ${backend.threads ? 'yes' : 'no'})`);
  const data = loadData(recipe.data);
  ctx.log(`data: ${data.name}, ${data.train.count} train / ${data.test.count} test samples`);
  const model = await loadModelSource(recipe.model, { cwd: options.cwd, seed: recipe.seed, imageShape: data.imageShape, numClasses: data.numClasses });
  const state: PipelineState = { recipe, ctx, cwd: options.cwd, data, model, stage: [], rows: [], masked: false };
  if (model instanceof QuantizedModel) {
    await adoptQuantized(state, model);
    state.stage.push(`${model.mode} quantized`);
  }
  const latencyRuns = options.latencyRuns ?? 20;
  const steps: StepResult[] = [];
  try {
    for (const [index, step] of recipe.steps.entries()) {
      if (COMPRESSION_STEPS.has(step.type) && !state.dense) {
        state.dense = state.model.clone();
        state.denseMetrics ??= await measure(state, { latencyRuns, latencyBatch: 1, name: 'dense' });
      }
      ctx.log(`[${index + 1}/${recipe.steps.length}] ${step.type}`);
      const s0 = performance.now();
      const r = await runHandler(step, state, index);
      const seconds = (performance.now() - s0) / 1000;
      steps.push({ index, type: step.type, seconds, ...r });
      ctx.log(`[${index + 1}/${recipe.steps.length}] ${r.summary} (${seconds.toFixed(1)} s)`);
    }
    const last = recipe.steps.at(-1)?.type === 'eval' ? state.rows.at(-1) : undefined;
    const final = last ?? (await measure(state, { latencyRuns, latencyBatch: 1 }));
    const rows: Metrics[] = [];
    if (state.denseMetrics) rows.push(state.denseMetrics);
    for (const r of state.rows) if (!rows.includes(r)) rows.push(r);
    if (!rows.includes(final)) rows.push(final);
    const comparison = compare(rows);
    ctx.report(`\n${comparison.markdown}\n`);
    const output = recipe.output ? await writeModel(state, recipe.output) : undefined;
    if (output) ctx.log(`wrote ${stageLabel(state)} model (${output.format}) to ${output.dir}: ${output.bytes} bytes`);
    const seconds = (performance.now() - t0) / 1000;
    ctx.log(`done in ${seconds.toFixed(1)} s`);
    return { name: recipe.name, backend, data: { dataset: data.name, train: data.train.count, test: data.test.count }, steps, comparison, output, seconds };
  } finally {
    state.model.dispose();
    state.dense?.dispose();
  }
}
