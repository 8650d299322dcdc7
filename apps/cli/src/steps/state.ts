import type { Model } from '@bonsai/core';
import type { Agreement, Metrics } from '@bonsai/eval';
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelFormat } from '../model-format';
import type { RunContext } from '../context';
import type { DataSplits } from '../data';
import type { Recipe, Step } from '../recipe';

/** How the current model is written to disk (quantized models have their own format). */
export type ModelWriter = (dir: string) => Promise<{ bytes: number }>;

/** Mutable state threaded through a recipe's steps. */
export interface PipelineState {
  recipe: Recipe;
  ctx: RunContext;
  cwd: string;
  data: DataSplits;
  /** The current model (steps may replace it). */
  model: Model;
  /** What has been applied so far, used as the row label of evaluations ("pruned 50% + KD fine-tune"). */
  stage: string[];
  /** Row label before any compression: "dense" for a model built here, "input model" for a loaded one. */
  baseLabel: string;
  /** Format the model came in; the output is written in it unless the recipe says otherwise. */
  format: ModelFormat;
  /** Without labels: the original model's outputs on the test split, which evaluations compare against. */
  referenceOutputs?: tf.Tensor;
  /** Snapshot of the model before the first compression step (baseline row and KD teacher). */
  dense?: Model;
  /** Metrics of {@link dense}. */
  denseMetrics?: Row;
  /** Rows measured by eval steps, in order. */
  rows: Row[];
  /** Set by the quantize step: the serialized size of the quantized model, and how to save it. */
  quantized?: { bytes: number; write: ModelWriter; describe: string };
  /** True once a prune step attached masks that still have to be baked before saving. */
  masked: boolean;
  /** Preprocessing the file data got, recorded in the written model (undefined for built-in data). */
  preprocess?: string;
}

/** A measured row: eval's metrics, plus agreement with the original model when the data has no labels. */
export type Row = Metrics & { agreement?: Agreement };

/** What a step reports. */
export interface StepReport {
  /** One line for the log and the JSON output. */
  summary: string;
  /** Step-specific numbers (JSON). */
  details: Record<string, unknown>;
}

/** Runs one step of a given type. */
export type StepHandler<S extends Step = Step> = (step: S, state: PipelineState, index: number) => Promise<StepReport>;

/** Step types that compress the model (the dense baseline is snapshotted before the first). */
export const COMPRESSION_STEPS: ReadonlySet<Step['type']> = new Set(['prune', 'gradualPrune', 'quantize', 'distill', 'budget']);

/** Label of the current stage: the base label ("dense", "input model") before any compression. */
export function stageLabel(state: PipelineState): string {
  return state.stage.length ? state.stage.join(' + ') : state.baseLabel;
}
