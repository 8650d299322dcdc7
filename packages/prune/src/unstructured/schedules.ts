import { ConfigError } from '@bonsai/core';
import { checkSparsity } from './amount';

/**
 * A sparsity schedule over training steps (tfmot's `PruningSchedule`): the target sparsity at a
 * step and whether masks are updated at that step.
 */
export interface PruningSchedule {
  /** First step at which masks are updated. */
  readonly beginStep: number;
  /** Last step at which masks are updated (-1: no end). */
  readonly endStep: number;
  /** Masks are updated every `frequency` steps from `beginStep`. */
  readonly frequency: number;
  /** Target sparsity (fraction of zeros) at `step`. */
  sparsity(step: number): number;
  /** True when masks are updated at `step`. */
  shouldPrune(step: number): boolean;
}

/** Options of {@link constantSparsity}. */
export interface ConstantSparsityOptions {
  targetSparsity: number;
  /** Default 0. */
  beginStep?: number;
  /** Default -1 (keep re-applying forever). */
  endStep?: number;
  /** Default 100. */
  frequency?: number;
}

/** Options of {@link polynomialDecay}. */
export interface PolynomialDecayOptions {
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  endStep: number;
  /** Exponent; 3 is AGP (Zhu & Gupta), 1 is linear. Default 3. */
  power?: number;
  /** Default 100. */
  frequency?: number;
}

function checkSteps(begin: number, end: number, frequency: number, where: string): void {
  if (!Number.isInteger(begin) || begin < 0) throw new ConfigError(`${where}: beginStep must be a non-negative integer, got ${String(begin)}`, { beginStep: begin });
  if (!Number.isInteger(end) || (end !== -1 && end < begin)) throw new ConfigError(`${where}: endStep must be -1 or an integer >= beginStep=${begin}, got ${String(end)}`, { endStep: end });
  if (!Number.isInteger(frequency) || frequency < 1) throw new ConfigError(`${where}: frequency must be a positive integer, got ${String(frequency)}`, { frequency });
}

function inRange(step: number, begin: number, end: number): boolean {
  return step >= begin && (end === -1 || step <= end);
}

/** Constant target sparsity applied every `frequency` steps from `beginStep` (tfmot's `ConstantSparsity`). */
export function constantSparsity(o: ConstantSparsityOptions): PruningSchedule {
  const target = checkSparsity(o.targetSparsity, 'constantSparsity: targetSparsity');
  const beginStep = o.beginStep ?? 0;
  const endStep = o.endStep ?? -1;
  const frequency = o.frequency ?? 100;
  checkSteps(beginStep, endStep, frequency, 'constantSparsity');
  return {
    beginStep,
    endStep,
    frequency,
    sparsity: () => target,
    shouldPrune: (step) => inRange(step, beginStep, endStep) && (step - beginStep) % frequency === 0,
  };
}

/**
 * Sparsity rising from `initialSparsity` to `finalSparsity` between `beginStep` and `endStep`:
 * `s_t = s_f + (s_i - s_f) (1 - (t - t0) / (endStep - t0))^power` (tfmot's `PolynomialDecay`;
 * with power 3 the AGP schedule of Zhu & Gupta 2017). Masks are updated every `frequency` steps
 * and also at `endStep` itself, so the final sparsity is always reached.
 */
export function polynomialDecay(o: PolynomialDecayOptions): PruningSchedule {
  const si = checkSparsity(o.initialSparsity, 'polynomialDecay: initialSparsity');
  const sf = checkSparsity(o.finalSparsity, 'polynomialDecay: finalSparsity');
  if (sf < si) throw new ConfigError(`polynomialDecay: finalSparsity=${sf} must be >= initialSparsity=${si}`, { initialSparsity: si, finalSparsity: sf });
  const power = o.power ?? 3;
  if (!(power > 0) || !Number.isFinite(power)) throw new ConfigError(`polynomialDecay: power must be a positive number, got ${String(power)}`, { power });
  const { beginStep, endStep } = o;
  const frequency = o.frequency ?? 100;
  checkSteps(beginStep, endStep, frequency, 'polynomialDecay');
  if (endStep <= beginStep) throw new ConfigError(`polynomialDecay: endStep=${endStep} must be > beginStep=${beginStep}`, { beginStep, endStep });
  return {
    beginStep,
    endStep,
    frequency,
    sparsity: (step) => {
      const p = Math.min(1, Math.max(0, (step - beginStep) / (endStep - beginStep)));
      return sf + (si - sf) * (1 - p) ** power;
    },
    shouldPrune: (step) => inRange(step, beginStep, endStep) && ((step - beginStep) % frequency === 0 || step === endStep),
  };
}

/** Automated Gradual Pruning (Zhu & Gupta 2017): {@link polynomialDecay} with power 3. */
export function agp(o: Omit<PolynomialDecayOptions, 'power'>): PruningSchedule {
  return polynomialDecay({ ...o, power: 3 });
}

/** Linear ramp from `initialSparsity` to `finalSparsity`: {@link polynomialDecay} with power 1. */
export function linearSparsity(o: Omit<PolynomialDecayOptions, 'power'>): PruningSchedule {
  return polynomialDecay({ ...o, power: 1 });
}
