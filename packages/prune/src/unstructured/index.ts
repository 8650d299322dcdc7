/**
 * Unstructured and mask-based pruning: a mask API after `torch.nn.utils.prune`, N:M masks,
 * sparsity reports, tfmot-style sparsity schedules, gradual (AGP) pruning as a training callback,
 * iterative prune/fine-tune loops and fine-tuning helpers.
 */
export type { Amount } from './amount';
export type { PruneTarget } from './targets';
export type { MaskChange } from './mask';
export type { AmountSpec } from './per-param';
export { l1Unstructured, randomUnstructured, type UnstructuredOptions, type RandomUnstructuredOptions } from './unstructured';
export { lnStructured, randomStructured, type StructuredOptions, type LnStructuredOptions, type RandomStructuredOptions } from './structured';
export { globalUnstructured, type GlobalUnstructuredOptions, type UnstructuredImportance } from './global';
export { nmStructured, type NmOptions } from './nm';
export { remove, isPruned, customFromMask } from './remove';
export { sparsityReport, formatSparsityReport, type SparsityReport, type SparsityRow, type SparsityReportOptions } from './report';
export {
  constantSparsity,
  polynomialDecay,
  agp,
  linearSparsity,
  type PruningSchedule,
  type ConstantSparsityOptions,
  type PolynomialDecayOptions,
} from './schedules';
export { gradualPruning, type GradualPruning, type GradualPruningOptions, type GradualPruningEvent } from './gradual';
export { iterativePrune, type IterativePruneOptions, type IterativePruneResult } from './iterative';
export { fineTune, perGroupLr, cosineFineTuneLr, type FineTuneOptions, type PerGroupLrOptions } from './finetune';
export { rewindPruning, roundSparsities, snapshotWeights, rewindWeights, type RewindPruningOptions, type RewindPruningResult, type RewindRound, type WeightSnapshot } from './rewind';
export { lampImportance } from './lamp';
export {
  sparseVariationalDropout,
  SparseVariationalDropout,
  variationalKl,
  logAlphaOf,
  VD_KL_CONSTANTS,
  type SparseVdOptions,
  type SparseVdLossOptions,
  type SparseVdMaskOptions,
} from './variational-dropout';
