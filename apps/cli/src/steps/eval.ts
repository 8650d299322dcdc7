import { evaluate, type Metrics } from '@bonsai/eval';
import { remove } from '@bonsai/prune';
import { testTensors } from '../data';
import type { StepOf } from '../recipe';
import { stageLabel, type PipelineState, type StepHandler } from './state';

/** Latency settings of an evaluation. */
export interface MeasureOptions {
  latencyRuns: number;
  latencyBatch: number;
  name?: string;
}

/**
 * Measures the current model: accuracy on the test split, params, non-zeros, MACs, size and
 * latency. Masked models are measured as they will be saved (masks baked into the weights);
 * quantized models report the size of their quantized files.
 */
export async function measure(state: PipelineState, o: MeasureOptions): Promise<Metrics> {
  const { x, y } = testTensors(state.data);
  const model = state.masked ? state.model.clone() : state.model;
  try {
    if (state.masked) remove(model);
    const m = await evaluate(model, { name: o.name ?? stageLabel(state), x, y, batchSize: 500, latency: { runs: o.latencyRuns, batch: o.latencyBatch, warmup: 3 } });
    if (state.quantized) m.bytes = state.quantized.bytes;
    return m;
  } finally {
    x.dispose();
    y.dispose();
    if (model !== state.model) model.dispose();
  }
}

/** `eval`: adds a row for the current model to the comparison. */
export const evalStep: StepHandler<StepOf<'eval'>> = async (step, state) => {
  const m = await measure(state, step);
  state.rows.push(m);
  if (state.stage.length === 0 && !state.denseMetrics) state.denseMetrics = m;
  const acc = m.accuracy !== undefined ? `${(m.accuracy * 100).toFixed(2)}%` : 'n/a';
  return {
    summary: `eval ${m.name}: accuracy ${acc}, ${m.params} params (${m.nonZero} non-zero), ${m.macs} MACs, ${m.bytes} bytes, latency p50 ${m.latency?.median.toFixed(2)} ms`,
    details: { metrics: m },
  };
};
