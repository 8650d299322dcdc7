import { ConfigError } from '../errors';

/** A learning-rate schedule: learning rate at a global step (0-based) and epoch. */
export type LrSchedule = (step: number, epoch: number) => number;

/** Constant learning rate. */
export function constantLr(lr: number): LrSchedule {
  return () => lr;
}

/** Multiplies the rate by `gamma` every `stepSize` epochs (torch's StepLR). */
export function stepLr(o: { initial: number; stepSize: number; gamma?: number }): LrSchedule {
  if (o.stepSize < 1) throw new ConfigError(`stepLr: stepSize must be >= 1, got ${o.stepSize}`);
  const g = o.gamma ?? 0.1;
  return (_s, epoch) => o.initial * g ** Math.floor(epoch / o.stepSize);
}

/** Cosine annealing from `initial` to `min` over `totalSteps` steps, optional linear warm-up. */
export function cosineLr(o: { initial: number; totalSteps: number; min?: number; warmupSteps?: number }): LrSchedule {
  if (o.totalSteps < 1) throw new ConfigError(`cosineLr: totalSteps must be >= 1, got ${o.totalSteps}`);
  const min = o.min ?? 0;
  const warm = o.warmupSteps ?? 0;
  return (step) => {
    if (step < warm) return (o.initial * (step + 1)) / warm;
    const t = Math.min(1, (step - warm) / Math.max(1, o.totalSteps - warm));
    return min + 0.5 * (o.initial - min) * (1 + Math.cos(Math.PI * t));
  };
}
