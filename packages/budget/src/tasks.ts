import * as tf from '@tensorflow/tfjs-core';
import { recalibrateBatchNorm, type Model } from '@bonsai/core';
import { pruneToRatios } from './apply';
import { importanceOf, type ImportanceName } from './importance';
import { matchRate, topClasses } from './score';
import type { Ratios } from './structure';

/** Scoring of one ratio assignment: top-1 match rate against `labels` after pruning a clone. */
export interface ScoreTask {
  ratios: Ratios;
  /** Re-estimate batch-norm statistics of the pruned clone on up to this many scored inputs first (0: no). */
  recalibrate?: number;
  importance?: ImportanceName;
  batchSize?: number;
}

/** What a pass's time is read from: wall time, or this process's CPU time (user + system). */
export type LatencyClock = 'wall' | 'cpu';

/** Timing of width configurations (pruned clones) at batch `batch`, interleaved. */
export interface TimeTask extends TimingOptions {
  configs: Ratios[];
}

/** Settings of {@link timeModels}. */
export interface TimingOptions {
  batch: number;
  warmup: number;
  runs: number;
  /** Seed of the random input. */
  seed: number;
  /**
   * `wall` (default): `performance.now()`. `cpu`: `process.cpuUsage()` around each pass, which
   * equals wall time when the core is free and leaves out the time other processes hold it (on a
   * loaded machine it repeats within ~10% where wall time varies 50%). It counts every thread of
   * the process, so use it only while no other thread of this process computes.
   */
  clock?: LatencyClock;
}

/** Clones `model`, prunes the clone to `task.ratios`, returns the clone's top-1 match rate with `labels`. */
export function runScoreTask(model: Model, x: tf.Tensor, labels: Int32Array, task: ScoreTask): number {
  const clone = model.clone();
  try {
    pruneToRatios(clone, task.ratios, { importance: importanceOf(task.importance) });
    recalibrateOn(clone, x, task.recalibrate ?? 0);
    return matchRate(topClasses(clone, x, task.batchSize), labels);
  } finally {
    clone.dispose();
  }
}

/**
 * Re-estimates the batch-norm statistics of `model` on the first `samples` rows of `x` (batches of
 * 128): after channels are removed, downstream layers see different activations, and stale
 * running statistics make a one-shot score far worse than what fine-tuning recovers.
 */
export function recalibrateOn(model: Model, x: tf.Tensor, samples: number): void {
  const n = Math.min(samples, x.shape[0]);
  if (n <= 0) return;
  const batches: tf.Tensor[] = [];
  for (let a = 0; a < n; a += 128) batches.push(tf.slice(x, [a], [Math.min(128, n - a)]));
  try {
    recalibrateBatchNorm(model, batches);
  } finally {
    tf.dispose(batches);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Timing of one model: median and fastest pass (ms) over the interleaved rounds. */
export interface PassTimes {
  /** Median pass (what the latency fit and the measured result use). */
  median: number;
  min: number;
}

const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/**
 * Times plain inference passes (`forward` + readback, as inference runs: fused kernels from
 * batch 8) of `models` on one random input of batch `batch`: `warmup` untimed passes each, then
 * `runs` rounds that time every model once in turn, each pass after a 1 ms pause (a thread that
 * has just slept starts with a fresh scheduler slice, so fewer passes are cut by other processes).
 */
export async function timeModels(models: readonly Model[], options: TimingOptions): Promise<PassTimes[]> {
  const [id] = models[0]!.graph.inputs;
  const x = tf.randomUniform([options.batch, ...models[0]!.graph.shape(id!)], 0, 1, 'float32', options.seed);
  const now = options.clock === 'cpu' ? cpuMs : () => performance.now();
  const pass = (m: Model): number => {
    const t0 = now();
    const out = m.forward(x);
    out.dataSync();
    const ms = now() - t0;
    out.dispose();
    return ms;
  };
  try {
    for (const m of models) for (let i = 0; i < options.warmup; i++) pass(m);
    const samples = models.map((): number[] => []);
    for (let r = 0; r < options.runs; r++) {
      for (const [i, m] of models.entries()) {
        await pause();
        samples[i]!.push(pass(m));
      }
    }
    return samples.map((xs) => ({ median: median(xs), min: Math.min(...xs) }));
  } finally {
    x.dispose();
  }
}

/** Prunes one clone of `model` per configuration of `task` and times them with {@link timeModels}. */
export async function runTimeTask(model: Model, task: TimeTask): Promise<PassTimes[]> {
  const clones: Model[] = [];
  try {
    for (const ratios of task.configs) {
      const c = model.clone();
      clones.push(c);
      pruneToRatios(c, ratios);
    }
    return await timeModels(clones, task);
  } finally {
    for (const c of clones) c.dispose();
  }
}
