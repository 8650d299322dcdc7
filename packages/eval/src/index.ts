/**
 * @bonsai/eval — what compression buys and costs: accuracy (top-1/top-k), agreement with the
 * original model (top-1/top-5, KL, max |Δ|), params and non-zeros,
 * dense and effective MACs, serialized size, latency, side-by-side comparisons and layer-wise
 * sensitivity sweeps.
 */
export { accuracy, topK, topKAccuracies, type AccuracyOptions, type EvalData, type LabeledBatch } from './accuracy';
export { countParams, countNonZero, paramReport, type CountOptions, type ParamReport, type ParamRow } from './params';
export { countMacs, type MacsReport, type MacsRow } from './macs';
export { serializedSize, fileSize, type SizeReport } from './size';
export { benchmarkLatency, type LatencyOptions, type LatencyResult } from './latency';
export { evaluate, type EvaluateOptions, type Metrics } from './evaluate';
export { agreement, modelAgreement, type Agreement, type ModelAgreementOptions } from './agreement';
export { compare, compareModels, type Comparison, type ComparisonRow, type CompareOptions, type Ratios, type Deltas } from './compare';
export {
  sensitivity, sensitivityTable, l1KernelPrune, DEFAULT_SENSITIVITY_RATIOS,
  type SensitivityOptions, type SensitivityRow, type SensitivityPrune,
} from './sensitivity';
export { median, quantile, summarize, type SampleSummary } from './stats';
export { formatBytes, formatCount, formatMs, formatPercent, formatRatio, markdownTable } from './format';
export { lossCurves, curveAt, type LossCurve } from './sensitivity-curve';
