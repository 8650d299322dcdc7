import { fineTune, globalUnstructured, remove } from '@bonsai/prune';
import type { Model } from '@bonsai/core';
import { BATCH_SIZE, progressCallback, trainingSteps, type Method } from './types';

function prune(model: Model, ratio: number): Model {
  globalUnstructured(model, { amount: ratio });
  return model;
}

/** Global L1 magnitude pruning of every kernel (torch's prune.global_unstructured), fine-tuned with masks held. */
export const unstructured: Method = {
  info: {
    id: 'unstructured',
    label: 'Unstructured (global L1)',
    ratioLabel: 'share of weights zeroed',
    note: 'Zeros individual weights: the gzipped file shrinks, latency does not (wasm has no sparse kernels).',
  },
  async run(ctx, ratio) {
    const model = prune(await ctx.copy(), ratio);
    ctx.progress(`pruned ${(ratio * 100).toFixed(0)}% of kernel weights, fine-tuning`, 0.05);
    const steps = trainingSteps(ctx, ctx.epochs);
    await fineTune(model, ctx.train, { epochs: ctx.epochs, lr: 5e-4, batchSize: BATCH_SIZE, loss: ctx.loss, callbacks: [progressCallback(ctx, 'fine-tune', steps, 0.05, 0.95)] });
    remove(model);
    return { model };
  },
  oneShot: prune,
};
