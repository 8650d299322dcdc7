import { type Model, ConfigError } from '@bonsai/core';
import { topKAccuracies, type EvalData, type LabeledBatch } from './accuracy';
import { benchmarkLatency, type LatencyOptions, type LatencyResult } from './latency';
import { countMacs } from './macs';
import { countNonZero, countParams } from './params';
import { serializedSize } from './size';
import { checkModel } from './validate';

/** Everything {@link compare} tabulates about one model. */
export interface Metrics {
  /** Row label. */
  name: string;
  /** All parameter values, BN running statistics included (`countParams`). */
  params: number;
  /** Values trained by gradients (`countParams(model, { trainableOnly: true })`). */
  trainableParams: number;
  /** Nonzero effective values among those. */
  nonZero: number;
  /** 1 - nonZero / params. */
  sparsity: number;
  /** Dense MACs per sample. */
  macs: number;
  /** MACs with nonzero weights only. */
  effectiveMacs: number;
  /** Serialized size (model.json + weights) in bytes. */
  bytes: number;
  /** Top-1 accuracy (0..1), when data was given. */
  accuracy?: number;
  /** Top-k accuracy, when data and `topK` were given. */
  topK?: { k: number; accuracy: number };
  /** Forward-pass latency, when requested. */
  latency?: LatencyResult;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Row label (default "model"). */
  name?: string;
  /** Inputs for accuracy (with `y`). */
  x?: LabeledBatch['x'];
  /** Labels for accuracy: one-hot `[n, classes]` or integer `[n]`. */
  y?: LabeledBatch['y'];
  /** Batches for accuracy instead of `x`/`y` (disposed after use). */
  data?: Iterable<LabeledBatch>;
  /** Samples per forward pass for accuracy (default 256). */
  batchSize?: number;
  /** Also measure top-k accuracy for this k. */
  topK?: number;
  /** Measure latency: `true` for defaults, or the options of `benchmarkLatency`. */
  latency?: boolean | LatencyOptions;
}

/**
 * Measures `model`: params, non-zeros, dense/effective MACs, serialized size, and when asked
 * accuracy (top-1, top-k) and latency. Feed the result to {@link compare}.
 */
export async function evaluate(model: Model, options: EvaluateOptions = {}): Promise<Metrics> {
  checkModel(model, 'evaluate');
  if ((options.x === undefined) !== (options.y === undefined)) throw new ConfigError('evaluate: give both x and y (or data)', {}, { code: 'DATA' });
  const params = countParams(model);
  const trainableParams = countParams(model, { trainableOnly: true });
  const nonZero = countNonZero(model);
  const macs = countMacs(model);
  const size = await serializedSize(model);
  const m: Metrics = {
    name: options.name ?? 'model',
    params,
    trainableParams,
    nonZero,
    sparsity: params ? 1 - nonZero / params : 0,
    macs: macs.dense,
    effectiveMacs: macs.effective,
    bytes: size.total,
  };
  const data: EvalData | undefined = options.data ?? (options.x && options.y ? { x: options.x, y: options.y } : undefined);
  if (data) {
    const ks = options.topK !== undefined ? [1, options.topK] : [1];
    const acc = topKAccuracies(model, data, ks, { batchSize: options.batchSize ?? 256 });
    m.accuracy = acc[0]!;
    if (options.topK !== undefined) m.topK = { k: options.topK, accuracy: acc[1]! };
  }
  if (options.latency) m.latency = await benchmarkLatency(model, options.latency === true ? {} : options.latency);
  return m;
}
