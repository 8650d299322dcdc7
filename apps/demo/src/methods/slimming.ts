import { fineTune, Pruner, bnScale, slimmingRegularizer } from '@bonsai/prune';
import { BATCH_SIZE, progressCallback, trainingSteps, type Method } from './types';

/** Network Slimming (Liu et al. 2017): L1 on batch-norm scales while training, then global BN-scale channel pruning. */
export const slimming: Method = {
  info: {
    id: 'slimming',
    label: 'Network Slimming',
    ratioLabel: 'share of BN channels removed (global)',
    note: 'Trains with an L1 penalty on batch-norm gammas, removes the channels with the smallest |gamma| across all layers, then fine-tunes.',
  },
  async run(ctx, ratio) {
    const model = await ctx.copy();
    const steps = trainingSteps(ctx, ctx.epochs);
    await fineTune(model, ctx.train, {
      epochs: ctx.epochs, lr: 1e-3, batchSize: BATCH_SIZE, loss: ctx.loss, lrSchedule: 'constant',
      callbacks: [slimmingRegularizer({ lambda: 1e-3 }), progressCallback(ctx, 'sparsity training (L1 on BN gamma)', steps, 0, 0.45)],
    });
    new Pruner(model, { importance: bnScale(), ratio, global: true, maxRatio: 0.9 }).step();
    ctx.progress(`removed ${(ratio * 100).toFixed(0)}% of the BN channels, fine-tuning`, 0.5);
    await fineTune(model, ctx.train, { epochs: ctx.epochs, lr: 1e-3, batchSize: BATCH_SIZE, loss: ctx.loss, callbacks: [progressCallback(ctx, 'fine-tune', steps, 0.5, 0.5)] });
    return { model };
  },
};
