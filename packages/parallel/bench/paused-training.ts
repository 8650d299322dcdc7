/**
 * A training run that stops at the start of every epoch until the bench lets it go on: so the
 * bench can interleave epochs of trainers that keep state across epochs (a worker pool, an
 * optimizer) without restarting them.
 */
import type { Callback } from '@bonsai/core';

/** One paused run: `epoch()` lets exactly one epoch run and resolves when it has ended. */
export interface PausedTraining {
  epoch(): Promise<void>;
  /** Lets the remaining epochs run to the end (none should be left) and waits for the run. */
  finish(): Promise<void>;
}

/** Starts `run` (which must pass the given callback to its trainer and train `epochs` epochs). */
export function pausedTraining(run: (gate: Callback) => Promise<unknown>): PausedTraining {
  let atStart: Promise<() => void>;
  let arrived!: (go: () => void) => void;
  const arm = () => {
    atStart = new Promise((r) => {
      arrived = r;
    });
  };
  arm();
  let ended: (() => void) | undefined;
  let over = false;
  const gate: Callback = {
    onEpochBegin: () => new Promise<void>((go) => arrived(go)),
    onEpochEnd: () => {
      arm();
      ended?.();
    },
  };
  const done = run(gate).finally(() => {
    over = true;
  });
  const failed = done.then(() => undefined);
  return {
    async epoch() {
      if (over) throw new Error('pausedTraining: the run has no epochs left');
      const go = await Promise.race([atStart, failed.then(() => { throw new Error('pausedTraining: the run ended before this epoch'); })]);
      const end = new Promise<void>((r) => {
        ended = r;
      });
      go();
      await Promise.race([end, failed]);
    },
    async finish() {
      await done;
    },
  };
}
