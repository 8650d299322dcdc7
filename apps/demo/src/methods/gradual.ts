import { agp, fineTune, gradualPruning, remove } from '@bonsai/prune';
import { BATCH_SIZE, progressCallback, trainingSteps, type Method } from './types';

/** Gradual magnitude pruning (AGP, Zhu & Gupta's cubic schedule) while training. */
export const gradual: Method = {
  info: {
    id: 'gradual',
    label: 'Gradual (AGP)',
    ratioLabel: 'final share of weights zeroed',
    note: 'Sparsity ramps up over the fine-tuning steps (cubic schedule), so the network adapts as it is pruned.',
  },
  async run(ctx, ratio) {
    const model = await ctx.copy();
    const epochs = ctx.epochs + 1;
    const steps = trainingSteps(ctx, epochs);
    const endStep = Math.max(1, Math.floor(steps * 0.7));
    const pruning = gradualPruning({ schedule: agp({ initialSparsity: 0, finalSparsity: ratio, beginStep: 0, endStep, frequency: 5 }), global: true });
    await fineTune(model, ctx.train, { epochs, lr: 5e-4, batchSize: BATCH_SIZE, loss: ctx.loss, callbacks: [pruning, progressCallback(ctx, 'prune while training', steps)] });
    remove(model);
    return { model };
  },
};
