import { agreement, evaluate } from '@bonsai/eval';
import { remove } from '@bonsai/prune';
import type * as tf from '@tensorflow/tfjs-core';
import { batchForMemory } from '../batch-memory';
import { predictPart } from '../stream';
import { testAccuracy } from '../training';
import type { StepOf } from '../recipe';
import { stageLabel, type PipelineState, type Row, type StepHandler } from './state';

/** Latency settings of an evaluation. */
export interface MeasureOptions {
  latencyRuns: number;
  latencyBatch: number;
  name?: string;
}

/**
 * Measures the current model: params, non-zeros, MACs, size, latency and either accuracy on the
 * test split (labeled data) or agreement with the original model's outputs (unlabeled data).
 * Masked models are measured as they will be saved (masks baked into the weights); quantized
 * models report the size of their quantized files.
 */
export async function measure(state: PipelineState, o: MeasureOptions): Promise<Row> {
  const model = state.masked ? state.model.clone() : state.model;
  try {
    if (state.masked) remove(model);
    const batchSize = batchForMemory(model, 500, { training: false });
    const m: Row = await evaluate(model, { name: o.name ?? stageLabel(state), latency: { runs: o.latencyRuns, batch: o.latencyBatch, warmup: 3 } });
    if (state.data.labeled) m.accuracy = await testAccuracy(model, state.data);
    if (state.quantized) m.bytes = state.quantized.bytes;
    if (state.referenceOutputs) {
      const out = await predictPart(model, state.data, state.data.test, batchSize);
      try {
        m.agreement = agreement(state.referenceOutputs, out);
      } finally {
        out.dispose();
      }
    }
    return m;
  } finally {
    if (model !== state.model) model.dispose();
  }
}

/** The original model's outputs on the held-out part (streamed): the reference of agreement (caller disposes). */
export function referenceOutputs(state: PipelineState): Promise<tf.Tensor> {
  return predictPart(state.model, state.data, state.data.test, batchForMemory(state.model, 500, { training: false }));
}

/** One line on a row's quality: `accuracy 98.10%` or `agreement with the input model: top-1 99.0%, ...`. */
export function qualityText(m: Row): string {
  if (m.agreement) {
    const a = m.agreement;
    return `agreement with the input model (no labels): top-1 ${(a.top1 * 100).toFixed(2)}%${a.k > 1 ? `, top-${a.k} ${(a.top5 * 100).toFixed(2)}%` : ''}, mean KL ${a.meanKl.toExponential(2)}, max |Δ| ${a.maxAbsDiff.toExponential(2)}`;
  }
  return `accuracy ${m.accuracy !== undefined ? `${(m.accuracy * 100).toFixed(2)}%` : 'n/a'}`;
}

/** `eval`: adds a row for the current model to the comparison. */
export const evalStep: StepHandler<StepOf<'eval'>> = async (step, state) => {
  const m = await measure(state, step);
  state.rows.push(m);
  if (state.stage.length === 0 && !state.denseMetrics) state.denseMetrics = m;
  return {
    summary: `eval ${m.name}: ${qualityText(m)}, ${m.params} params (${m.nonZero} non-zero), ${m.macs} MACs, ${m.bytes} bytes, latency p50 ${m.latency?.median.toFixed(2)} ms`,
    details: { metrics: m },
  };
};
