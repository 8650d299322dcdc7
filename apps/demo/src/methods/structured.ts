import type { Model } from '@bonsai/core';
import { fineTune, magnitude, Pruner } from '@bonsai/prune';
import { BATCH_SIZE, progressCallback, trainingSteps, type Method } from './types';

function prune(model: Model, ratio: number): Model {
  new Pruner(model, { importance: magnitude({ p: 2 }), ratio }).step();
  return model;
}

/**
 * Channel pruning on the dependency graph (Torch-Pruning's MetaPruner with L2 magnitude): every
 * coupled group loses `ratio` of its channels, physically, then the smaller network is fine-tuned.
 */
export const structured: Method = {
  info: {
    id: 'structured',
    label: 'Structured (channels)',
    ratioLabel: 'share of channels removed per layer',
    note: 'Removes whole channels (L2 magnitude) through the dependency graph: a physically smaller network, so the file, the MACs and the latency all shrink.',
  },
  async run(ctx, ratio) {
    const model = prune(await ctx.copy(), ratio);
    ctx.progress(`removed ${(ratio * 100).toFixed(0)}% of the channels, fine-tuning`, 0.05);
    const steps = trainingSteps(ctx, ctx.epochs);
    await fineTune(model, ctx.train, { epochs: ctx.epochs, lr: 1e-3, batchSize: BATCH_SIZE, loss: ctx.loss, callbacks: [progressCallback(ctx, 'fine-tune', steps, 0.05, 0.95)] });
    return { model };
  },
  oneShot: prune,
};
