/** Structured pruning on @bonsai/graph: importance criteria, the Pruner, Network Slimming. */
export { Pruner, type PrunerOptions } from './pruner';
export { magnitude, lamp, bnScale, random, type MagnitudeOptions } from './criteria';
export { taylor, TaylorImportance, type TaylorOptions, type AccumulateOptions } from './taylor';
export { memberScores, reduceScores, type GroupImportance, type GroupReduction, type ReductionOptions, type MemberScores } from './importance';
export { normalizeScores, type Normalizer } from './normalize';
export { scheduledRatio, type StructuredSchedule } from './schedule';
export { slimmingRegularizer, type SlimmingOptions } from './slimming';
export { headImportance, headMagnitude, internalScores, HeadSelection, type HeadImportanceOptions, type InternalImportance } from './heads';
export { headOutputNorm, HeadOutputNorm } from './head-output-norm';
