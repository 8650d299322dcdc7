import { ConfigError } from '@bonsai/core';

/**
 * Channel ratio reached after step `step` (1-based) of `steps`, for a final `ratio`:
 * 'linear' (ratio * step / steps, Torch-Pruning's default), 'constant' (ratio at once),
 * 'cubic' (Zhu & Gupta: ratio * (1 - (1 - step / steps)^3)), or a function.
 */
export type StructuredSchedule = 'linear' | 'constant' | 'cubic' | ((step: number, steps: number, ratio: number) => number);

/** Evaluates a {@link StructuredSchedule}, clamped to [0, ratio]. */
export function scheduledRatio(schedule: StructuredSchedule, step: number, steps: number, ratio: number): number {
  const t = Math.min(1, step / steps);
  let r: number;
  if (typeof schedule === 'function') r = schedule(step, steps, ratio);
  else if (schedule === 'linear') r = ratio * t;
  else if (schedule === 'constant') r = ratio;
  else if (schedule === 'cubic') r = ratio * (1 - (1 - t) ** 3);
  else throw new ConfigError(`Unknown schedule ${JSON.stringify(schedule)}: use linear, constant, cubic or a function`, { key: 'schedule' });
  if (!Number.isFinite(r)) throw new ConfigError(`schedule returned ${r} at step ${step}`, { key: 'schedule' });
  return Math.max(0, Math.min(ratio, r));
}
