/**
 * @bonsai/distill — knowledge distillation on @bonsai/core: response (Hinton KD), feature
 * (FitNets hints with learned adapters, attention transfer) and relation (RKD) losses, a
 * distiller that trains a student against a frozen teacher, and a core LossSpec for KD-assisted
 * fine-tuning with core's `train()`.
 */
// Load tfjs-core's main entry before @bonsai/core: core's src imports tfjs's
// register_all_gradients deep module first, and under vitest/vite that module graph is a second
// tfjs-core instance; whichever instance loads first creates the global engine, and a
// gradients-only instance leaves Tensor's op handler unset (dy.clone() -> null in Cast's grad).
import '@tensorflow/tfjs-core';

export { kdLoss, softKl, type KdLoss, type KdOptions, type ResponseLoss } from './kd-loss';
export { kdLossSpec } from './kd-loss-spec';
export { frozenRun, type FrozenResult } from './frozen';
export { HintAdapter, hintLoss, type HintAdapterOptions } from './hint';
export { attentionMap, attentionLoss, l2Normalize, type AttentionOptions } from './attention';
export { rkdLoss, rkdDistanceLoss, rkdAngleLoss, pairwiseDistances, tripletAngles, smoothL1, type RkdOptions } from './rkd';
export type { HintSpec, FeatureLossKind } from './specs';
export { Distiller, distill, type DistillerOptions, type DistillOptions, type FitOptions, type DistillHistory } from './distiller';
