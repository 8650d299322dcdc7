import { adam, ConfigError, train } from '@bonsai/core';
import { kdLossSpec } from '@bonsai/distill';
import { demoCnn } from '../cnn';
import { BATCH_SIZE, progressCallback, trainingSteps, type Method } from './types';

/** Knowledge distillation: a narrower smallCnn student trained against the dense model's soft labels. */
export const kd: Method = {
  info: {
    id: 'kd',
    label: 'Distillation (KD)',
    ratioLabel: 'share of channels the student drops',
    note: 'Trains a narrower student from scratch on the teacher\'s softened logits (T = 4, alpha = 0.9): fewer weights and faster, like structured pruning.',
  },
  async run(ctx, ratio) {
    const arch = ctx.arch;
    if (!arch) throw new ConfigError('Distillation (KD) trains a narrower demo CNN: it needs the MNIST CNN; for other models use "fine-tune with KD"', { key: 'method' });
    const keep = (w: number): number => Math.max(1, Math.round(w * (1 - ratio)));
    const student = demoCnn({ widths: arch.widths.map(keep), hidden: keep(arch.hidden) }, 7);
    const epochs = ctx.epochs + 1;
    const steps = trainingSteps(ctx, epochs);
    await train(student, ctx.train, {
      loss: kdLossSpec(ctx.dense, { temperature: 4, alpha: 0.9 }),
      optimizer: adam({ lr: 2e-3 }),
      epochs,
      batchSize: BATCH_SIZE,
      seed: 3,
      callbacks: [progressCallback(ctx, 'distill student', steps)],
    });
    return { model: student };
  },
};
