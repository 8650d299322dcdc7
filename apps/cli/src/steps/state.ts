import type { Model } from '@bonsai/core';
import type { Metrics } from '@bonsai/eval';
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
  /** What has been applied so far, used as the row label of evaluations ("dense", "pruned 50% + ft"). */
  stage: string[];
  /** Snapshot of the model before the first compression step (baseline row and KD teacher). */
  dense?: Model;
  /** Metrics of {@link dense}. */
  denseMetrics?: Metrics;
  /** Rows measured by eval steps, in order. */
  rows: Metrics[];
  /** Set by the quantize step: the serialized size of the quantized model, and how to save it. */
  quantized?: { bytes: number; write: ModelWriter; describe: string };
  /** True once a prune step attached masks that still have to be baked before saving. */
  masked: boolean;
}

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
export const COMPRESSION_STEPS: ReadonlySet<Step['type']> = new Set(['prune', 'gradualPrune', 'quantize', 'distill']);

/** Label of the current stage: `dense` before any compression. */
export function stageLabel(state: PipelineState): string {
  return state.stage.length ? state.stage.join(' + ') : 'dense';
}
