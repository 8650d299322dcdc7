/**
 * @bonsai/distill — knowledge distillation on @bonsai/core: response (Hinton KD), feature
 * (FitNets hints with learned adapters, attention transfer) and relation (RKD) losses, a
 * distiller that trains a student against a frozen teacher, and a core LossSpec for KD-assisted
 * fine-tuning with core's `train()`.
 */
export { kdLoss, softKl, type KdLoss, type KdOptions, type ResponseLoss } from './kd-loss';
export { kdLossSpec } from './kd-loss-spec';
export { frozenRun, type FrozenResult } from './frozen';
export { HintAdapter, hintLoss, type HintAdapterOptions } from './hint';
export { attentionMap, attentionLoss, l2Normalize, type AttentionOptions } from './attention';
export { rkdLoss, rkdDistanceLoss, rkdAngleLoss, pairwiseDistances, tripletAngles, smoothL1, type RkdOptions } from './rkd';
export type { HintSpec, FeatureLossKind } from './specs';
export { Distiller, distill, type DistillerOptions, type DistillOptions, type FitOptions, type DistillHistory } from './distiller';
