import { ConfigError } from '@bonsai/core';

/** Options of {@link iterativePrune}. */
export interface IterativePruneOptions {
  /** One pruning step; returns false when there is nothing left to prune (e.g. structured `Pruner.step()`). */
  prune: (round: number) => boolean | Promise<boolean>;
  /** Recovers accuracy after a pruning step (e.g. a few epochs of `fineTune`). */
  fineTune: (round: number) => void | Promise<void>;
  /** Upper bound on rounds. */
  maxRounds: number;
  /** Called after each round's fine-tuning (logging, evaluation); return false to stop early. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback may return nothing (go on) or false (stop)
  onRound?: (round: number) => void | boolean | Promise<void | boolean>;
}

/** Outcome of {@link iterativePrune}. */
export interface IterativePruneResult {
  /** Rounds in which pruning happened (and fine-tuning followed). */
  rounds: number;
  /** Why the loop ended. */
  stoppedBy: 'prune' | 'maxRounds' | 'onRound';
}

/**
 * The classic prune -> fine-tune loop (Han et al. 2015; Torch-Pruning's iterative steps): runs
 * `prune`, then `fineTune`, until `prune` returns false, `onRound` returns false, or `maxRounds`.
 */
export async function iterativePrune(options: IterativePruneOptions): Promise<IterativePruneResult> {
  const { maxRounds } = options;
  if (!Number.isInteger(maxRounds) || maxRounds < 1) throw new ConfigError(`iterativePrune: maxRounds must be a positive integer, got ${String(maxRounds)}`, { maxRounds });
  for (let round = 0; round < maxRounds; round++) {
    if (!(await options.prune(round))) return { rounds: round, stoppedBy: 'prune' };
    await options.fineTune(round);
    if ((await options.onRound?.(round)) === false) return { rounds: round + 1, stoppedBy: 'onRound' };
  }
  return { rounds: maxRounds, stoppedBy: 'maxRounds' };
}
