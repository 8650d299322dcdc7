import * as tf from '@tensorflow/tfjs-core';
import { recalibrateBatchNorm, type Model, type NodeId } from '@bonsai/core';
import { pruneToRatios } from './apply';
import { importanceOf, type ImportanceName } from './importance';
import { matchRate, topClasses } from './score';
import type { NodeCost, Ratios } from './structure';
import { TimedModel } from './timed-model';

/** Scoring of one ratio assignment: top-1 match rate against `labels` after pruning a clone. */
export interface ScoreTask {
  ratios: Ratios;
  /** Re-estimate batch-norm statistics of the pruned clone on up to this many scored inputs first (0: no). */
  recalibrate?: number;
  importance?: ImportanceName;
  batchSize?: number;
}

/** Timing of one ratio assignment (a pruned clone) at batch `batch`. */
export interface TimeTask {
  ratios: Ratios;
  batch: number;
  warmup: number;
  runs: number;
  /** Seed of the random input. */
  seed: number;
}

/** What {@link runTimeTask} measured: per-node median ms and kept work fraction, and the plain pass. */
export interface TimeResult {
  ratios: Ratios;
  /** Median ms of a plain forward pass + readback (no per-node timing). */
  totalMs: number;
  /** Per node: median ms inside a timed pass. */
  nodeMs: Record<NodeId, number>;
  /** Per node: kept fraction of its work in the pruned clone (kernel size, or output width). */
  work: Record<NodeId, number>;
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

/**
 * Clones `model`, prunes it to `task.ratios` and times it: `warmup` untimed passes, then `runs`
 * rounds of one plain pass (forward + readback) and one per-node timed pass, interleaved.
 */
export function runTimeTask(model: Model, nodes: readonly NodeCost[], task: TimeTask): TimeResult {
  const clone = model.clone();
  const [id] = clone.graph.inputs;
  const x = tf.randomUniform([task.batch, ...clone.graph.shape(id!)], 0, 1, 'float32', task.seed);
  try {
    pruneToRatios(clone, task.ratios);
    const timed = new TimedModel(clone);
    const plain = (): number => {
      const t0 = performance.now();
      const out = clone.forward(x);
      out.dataSync();
      const ms = performance.now() - t0;
      out.dispose();
      return ms;
    };
    for (let i = 0; i < task.warmup; i++) {
      plain();
      timed.timePass(x);
    }
    const totals: number[] = [];
    const per = new Map<NodeId, number[]>();
    for (let i = 0; i < task.runs; i++) {
      totals.push(plain());
      for (const [n, ms] of timed.timePass(x).nodes) per.set(n, [...(per.get(n) ?? []), ms]);
    }
    const nodeMs: Record<NodeId, number> = {};
    for (const [n, xs] of per) nodeMs[n] = median(xs);
    const work: Record<NodeId, number> = {};
    for (const n of nodes) {
      if (n.weight !== null) {
        const denseSize = model.params.get(n.weight)!.size;
        work[n.node] = (clone.params.get(n.weight)?.size ?? 0) / denseSize;
      } else {
        const shape = clone.graph.shape(n.node);
        work[n.node] = (shape[shape.length - 1] ?? 1) / n.width;
      }
    }
    return { ratios: task.ratios, totalMs: median(totals), nodeMs, work };
  } finally {
    x.dispose();
    clone.dispose();
  }
}
