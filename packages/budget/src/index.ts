/**
 * @bonsai/budget — compress to a budget: per-group sensitivity, a measured wasm latency model,
 * a greedy allocator of per-group pruning ratios for MAC / params / latency / size targets,
 * KD fine-tuning from the dense model and a measured report; sweeps and latency tables fan out
 * over worker threads. Node only (worker threads, file cache).
 */
export { compressToBudget, prunableRoots, type BudgetData, type CompressOptions, type CompressResult, type FineTuneOptions } from './compress';
export { Structure, uniformRatios, type GroupShape, type NodeCost, type Ratios, type StructureCost } from './structure';
export { pruneToRatios, type PruneToRatiosOptions } from './apply';
export { importanceOf, type ImportanceName } from './importance';
export { groupSensitivity, DEFAULT_GROUP_RATIOS, type GroupSensitivityOptions } from './group-sensitivity';
export { measureLatencyTable, latencyPredictor, machineInfo, architectureHash, type LatencyTable, type LatencyTableOptions, type MachineInfo } from './latency-model';
export { fitLatency, fitConfigurations, latencyTerms, predictorOf, type LatencyFit, type LatencySample, type LatencyTerm } from './latency-fit';
export { nnls, type NnlsResult } from './nnls';
export { allocate, uniformAllocation, predictMetrics, type Allocation, type AllocateOptions } from './allocate';
export { parseTargets, resolveTargets, TARGET_METRICS, type ResolvedTarget, type TargetMetric, type TargetValue, type Targets } from './targets';
export { buildReport, type BudgetReport, type TargetRow, type ReportInputs } from './report';
export { SweepPool, type SweepPoolOptions } from './pool';
export { references, topClasses, labelsOf, matchRate, type HeldOut } from './score';
export { timeModels, type LatencyClock, type PassTimes, type ScoreTask, type TimeTask, type TimingOptions } from './tasks';
