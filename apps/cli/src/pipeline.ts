import { backendInfo, initBackend, type BackendInfo, type Model } from '@bonsai/core';
import { compare, type Comparison } from '@bonsai/eval';
import { QuantizedModel } from '@bonsai/quantize';
import type { RunContext } from './context';
import { checkBuiltinFits, loadData, type DataLoader, type DataSplits } from './data';
import { buildZoo, readModelSource, type SourcedModel } from './model-source';
import { batchForMemory } from './batch-memory';
import { checkOutputs } from './out-dir';
import { resolvePreprocess } from './preprocess-inference';
import type { Recipe, Step } from './recipe';
import { agreementTable, writeReport } from './report';
import { evalStep, measure, referenceOutputs } from './steps/eval';
import { predictPart } from './stream';
import { exportStep } from './steps/export';
import { gradualPruneStep, pruneStep } from './steps/prune';
import { budgetStep } from './steps/budget';
import { adoptQuantized, quantizeStep } from './steps/quantize';
import { saveStep, writeModel, type WrittenModel } from './steps/save';
import { COMPRESSION_STEPS, stageLabel, type PipelineState, type Row, type StepHandler, type StepReport } from './steps/state';
import { distillStep, fineTuneStep, trainStep } from './steps/train';
import * as tf from '@tensorflow/tfjs-core';

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
  data: { dataset: string; train: number; test: number; labeled: boolean };
  /** Where the model came from and in which format. */
  source: { model: string; format: string };
  steps: StepResult[];
  /** Baseline vs. every evaluated stage vs. the final model. */
  comparison: Comparison;
  /** Without labels: agreement of every row with the original model (never called accuracy). */
  agreement?: { markdown: string; rows: Array<{ name: string } & NonNullable<Row['agreement']>> };
  /** Where the final model was written. */
  output?: WrittenModel;
  /** report.md and report.json beside the output, when written. */
  report?: string[];
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
  budget: budgetStep,
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
  /** Reads the recipe's data (default {@link loadData}); tests inject one to see when data is read. */
  loadData?: DataLoader;
}

/** Steps that leave the model as it is: a row measured before them still describes the final model. */
const READ_ONLY_STEPS: ReadonlySet<Step['type']> = new Set(['eval', 'save', 'export']);

/**
 * Unlabeled data: the model's top-1 classes become the parts' stand-in labels (targets looked up
 * by index where a loss needs one, e.g. Taylor importance): one streamed pass over the training
 * part; the held-out part's come from the reference outputs.
 */
async function pseudoLabel(model: Model, data: DataSplits, reference: tf.Tensor): Promise<void> {
  const top = (out: tf.Tensor): Int32Array => {
    const t = tf.tidy(() => tf.argMax(tf.reshape(out, [out.shape[0]!, -1]), 1));
    const v = t.dataSync() as Int32Array;
    t.dispose();
    return v;
  };
  const train = await predictPart(model, data, data.train, batchForMemory(model, 500, { training: false }));
  try {
    data.train.labels.set(top(train));
  } finally {
    train.dispose();
  }
  data.test.labels.set(top(reference));
}

/**
 * Runs a validated recipe. Order matters and is part of the contract: the model is read first
 * (a file on disk; zoo models need the data's shape and are built after it), then every output
 * folder is checked for writability, and only then is data loaded and work started. Steps run
 * in order (the model before the first compression step is snapshotted as baseline and KD
 * teacher); the final model is evaluated, the comparison printed, and `output` written in the
 * format the model came in, with report.md / report.json beside it.
 */
export async function runRecipe(recipe: Recipe, ctx: RunContext, options: RunRecipeOptions): Promise<PipelineResult> {
  const t0 = performance.now();
  await initBackend(recipe.backend);
  const backend = backendInfo();
  ctx.log(`backend: ${backend.name} (simd: ${backend.simd ? 'yes' : 'no'}, threads: ${backend.threads ? 'yes' : 'no'})`);
  let sourced: SourcedModel | undefined;
  if (recipe.model.zoo === undefined) {
    sourced = await readModelSource(recipe.model, { cwd: options.cwd, seed: recipe.seed });
    ctx.log(`model: ${sourced.location?.source} (${sourced.format})`);
  }
  let model: Model | undefined = sourced?.model;
  let reference: tf.Tensor | undefined;
  let state: PipelineState | undefined;
  try {
    const inputShape = model ? model.graph.shape(model.graph.inputs[0]!) : undefined;
    const outputShape = model ? model.graph.shape(model.graph.outputs[0]!) : undefined;
    const numClasses = outputShape?.at(-1);
    // A built-in 10-class set on a model with other outputs: refused before anything else.
    if (recipe.data.path === undefined) checkBuiltinFits(recipe.data.dataset, outputShape);
    await checkOutputs(recipe, options.cwd, sourced?.format ?? 'bonsai');
    // How file data is preprocessed: given, recorded in the model, the model's own scaling, or the default.
    const pre = recipe.data.path !== undefined ? resolvePreprocess(recipe.data.preprocess, sourced) : undefined;
    if (pre) ctx.log(pre.note);
    const data = await (options.loadData ?? loadData)(pre ? { ...recipe.data, preprocess: pre.preset } : recipe.data, { cwd: options.cwd, inputShape, numClasses });
    ctx.log(`data: ${data.name}, ${data.train.count} train / ${data.test.count} test samples${data.labeled ? '' : ' (no labels: fine-tuning distils from the input model; evaluation reports agreement with it, not accuracy)'}`);
    model ??= buildZoo(recipe.model, { seed: recipe.seed, imageShape: data.imageShape, numClasses: data.numClasses });
    state = { recipe, ctx, cwd: options.cwd, data, model, stage: [], baseLabel: sourced?.label ?? 'dense', format: sourced?.format ?? 'bonsai', rows: [], masked: false, preprocess: pre?.preset };
    if (!data.labeled) {
      reference = state.referenceOutputs = await referenceOutputs(state);
      await pseudoLabel(model, data, reference);
    }
    if (model instanceof QuantizedModel) {
      await adoptQuantized(state, model);
      state.stage.push(`${model.mode} quantized`);
    }
    const latencyRuns = options.latencyRuns ?? 20;
    const steps: StepResult[] = [];
    for (const [index, step] of recipe.steps.entries()) {
      if (COMPRESSION_STEPS.has(step.type) && !state.dense) {
        // The row is named after what the model is (dense, or the loaded model's provenance).
        state.denseMetrics ??= await measure(state, { latencyRuns, latencyBatch: 1, name: stageLabel(state) });
        state.dense = state.model.clone();
      }
      ctx.log(`[${index + 1}/${recipe.steps.length}] ${step.type}`);
      const s0 = performance.now();
      const r = await runHandler(step, state, index);
      const seconds = (performance.now() - s0) / 1000;
      steps.push({ index, type: step.type, seconds, ...r });
      ctx.log(`[${index + 1}/${recipe.steps.length}] ${r.summary} (${seconds.toFixed(1)} s)`);
    }
    // The last eval row is the final model when only read-only steps follow it.
    const lastEval = recipe.steps.map((s) => s.type).lastIndexOf('eval');
    const unchanged = lastEval >= 0 && recipe.steps.slice(lastEval + 1).every((s) => READ_ONLY_STEPS.has(s.type));
    const final = unchanged ? state.rows.at(-1)! : await measure(state, { latencyRuns, latencyBatch: 1 });
    const rows: Row[] = [];
    if (state.denseMetrics) rows.push(state.denseMetrics);
    for (const r of state.rows) if (!rows.includes(r)) rows.push(r);
    if (!rows.includes(final)) rows.push(final);
    const comparison = compare(rows);
    const agreement = agreementTable(rows);
    ctx.report(`\n${comparison.markdown}\n${agreement ? `\n${agreement.markdown}\n` : ''}`);
    const output = recipe.output ? await writeModel(state, recipe.output) : undefined;
    if (output) ctx.log(`wrote ${stageLabel(state)} model as ${output.format} to ${output.dir}: ${output.bytes} bytes${output.note ? ` (${output.note})` : ''}`);
    const seconds = (performance.now() - t0) / 1000;
    const result: PipelineResult = {
      name: recipe.name,
      backend,
      data: { dataset: data.name, train: data.train.count, test: data.test.count, labeled: data.labeled },
      source: { model: sourced?.location?.source ?? `zoo:${recipe.model.zoo}`, format: sourced?.format ?? 'bonsai' },
      steps,
      comparison,
      agreement,
      output,
      seconds,
    };
    if (output && recipe.report) {
      result.report = await writeReport(output.dir, result);
      ctx.log(`wrote ${result.report.join(' and ')}`);
    }
    ctx.log(`done in ${seconds.toFixed(1)} s`);
    return result;
  } finally {
    reference?.dispose();
    // Steps that replace the current model dispose the one they replace.
    (state?.model ?? model)?.dispose();
    state?.dense?.dispose();
  }
}
