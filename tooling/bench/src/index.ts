/**
 * @bonsai/bench-harness: the one timing, table and results toolkit of Bonsai's benches.
 * See tooling/bench/README.md.
 */
export { median, percentile, mean, std, summarize, type Summary } from './stats';
export { interleave, timeMs, since, type InterleaveOptions, type Interleaved, type VariantTimes, type Timed } from './interleave';
export { markdownTable, formatCell, fromRecords, parseMarkdownTable, type Cell, type Table } from './table';
export { num, ratio, pct, rate, ms, spread, kib } from './format';
export { createReport, resultsDir, type Report, type ReportOptions, type ResultsFile } from './results';
export { machineInfo, runtimeInfo, gitInfo, type MachineInfo, type RuntimeInfo, type GitInfo } from './machine';
export { isSmoke, pick } from './smoke';
