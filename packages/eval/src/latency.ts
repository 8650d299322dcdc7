import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model } from '@bonsai/core';
import { summarize, type SampleSummary } from './stats';
import { checkInt, checkModel, MAX_INPUT_ELEMENTS } from './validate';

/** Options of {@link benchmarkLatency}. */
export interface LatencyOptions {
  /** Untimed runs first (default 3): the first calls compile and pack weights. */
  warmup?: number;
  /** Timed runs (default 20). */
  runs?: number;
  /** Samples per forward pass (default 1). */
  batch?: number;
  /** Per-sample input shape (default: the graph input's shape); single-input graphs only. */
  inputShape?: readonly number[];
  /** Seed of the random input (default 0). */
  seed?: number;
}

/** Wall-clock latency of one inference-mode forward pass, in milliseconds. */
export interface LatencyResult extends SampleSummary {
  /** Every timed run (ms), in order. */
  samples: number[];
  /** Samples per pass. */
  batch: number;
  /** Median divided by the batch size (ms per sample). */
  perSample: number;
  /** The tfjs backend that ran it. */
  backend: string;
}

/**
 * Times `model.forward` on a random input of `batch` samples: `warmup` untimed passes, then
 * `runs` timed ones, each including the readback (`dataSync`), so the compute is inside the
 * timing. Returns median, p95, mean, min and max in ms. The input is disposed at the end.
 * @throws ConfigError on a non-integer or out-of-range option.
 */
export async function benchmarkLatency(model: Model, options: LatencyOptions = {}): Promise<LatencyResult> {
  checkModel(model, 'benchmarkLatency');
  if (options === null || typeof options !== 'object') throw new ConfigError('benchmarkLatency: options must be an object', { argument: 'options' });
  const warmup = checkInt(options.warmup ?? 3, 'warmup', 'benchmarkLatency', 0, 1e6);
  const runs = checkInt(options.runs ?? 20, 'runs', 'benchmarkLatency', 1, 1e6);
  const batch = checkInt(options.batch ?? 1, 'batch', 'benchmarkLatency', 1, MAX_INPUT_ELEMENTS);
  const ids = model.graph.inputs;
  if (options.inputShape && ids.length !== 1) {
    throw new ConfigError(`benchmarkLatency: inputShape applies to single-input graphs; this one has ${ids.length} inputs (${ids.join(', ')})`);
  }
  if (options.inputShape) options.inputShape.forEach((d, i) => checkInt(d, `inputShape[${i}]`, 'benchmarkLatency', 1, MAX_INPUT_ELEMENTS));
  for (const id of ids) {
    const elements = batch * (options.inputShape ?? model.graph.shape(id)).reduce((a, d) => a * d, 1);
    if (elements > MAX_INPUT_ELEMENTS) throw new ConfigError(`benchmarkLatency: a batch of ${batch} for input "${id}" is ${elements} values (limit ${MAX_INPUT_ELEMENTS}); use a smaller batch`, { batch });
  }
  const seed = options.seed ?? 0;
  const inputs = ids.map((id, i) => tf.randomUniform([batch, ...(options.inputShape ?? model.graph.shape(id))], 0, 1, 'float32', seed + i));
  const feed = inputs.length === 1 ? inputs[0]! : inputs;
  const once = (): number => {
    const t0 = performance.now();
    const out = model.forward(feed);
    out.dataSync();
    const ms = performance.now() - t0;
    out.dispose();
    return ms;
  };
  try {
    for (let i = 0; i < warmup; i++) once();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      samples.push(once());
      // Let other tasks (progress output, timers) run between passes.
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 0));
    }
    const s = summarize(samples);
    return { ...s, samples, batch, perSample: s.median / batch, backend: tf.getBackend() };
  } finally {
    inputs.forEach((t) => t.dispose());
  }
}
