import { availableParallelism } from 'node:os';
import { ConfigError, train, type Model, type TrainData, type TrainHistory, type TrainOptions } from '@bonsai/core';
import { trainParallel } from '@bonsai/parallel';

/** The worker count `bonsai demo` trains with: `min(2, availableParallelism())` (1 on a single core). */
export function defaultWorkers(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(2, cores));
}

/** What decides whether a run can use @bonsai/parallel's worker threads. */
export interface ParallelRequest {
  /** Worker threads asked for (undefined or 1: one thread). */
  workers?: number;
  /** The run's loss is a function (KD, distillation): it cannot cross into the workers. */
  customLoss: boolean;
  /** The run captures intermediate outputs (label-free distillation). */
  capture: boolean;
  /** The run has callbacks that change masks or params (gradual pruning): the workers would not see them. */
  changesParams: boolean;
  /** The tfjs backend of the main thread (the workers run wasm). */
  backend: string;
}

/** How a training run executes: `workers` threads (1 = core's `train()`), and why fewer than asked. */
export interface ParallelPlan {
  workers: number;
  /** Why the run falls back to one thread although more workers were asked for. */
  fallback?: string;
}

/**
 * Decides the worker count of a training run: the requested `workers` when the run is plain
 * cross-entropy training on the wasm backend, else one thread with the reason (a loss function
 * or captures cannot run in worker threads, mask-changing callbacks would not reach them, and
 * the workers compute on wasm, so a cpu-backend run stays on the main thread).
 */
export function parallelPlan(r: ParallelRequest): ParallelPlan {
  const asked = r.workers ?? 1;
  if (asked <= 1) return { workers: 1 };
  const why = r.customLoss
    ? 'its loss (knowledge distillation) is a function, which cannot run in worker threads'
    : r.capture
      ? 'it captures intermediate outputs, which worker threads cannot return'
      : r.changesParams
        ? 'its callbacks change masks during training, which the worker threads would not see'
        : r.backend !== 'wasm'
          ? `the worker threads compute on wasm and this run uses the ${r.backend} backend`
          : undefined;
  return why ? { workers: 1, fallback: `${asked} workers asked for, training on one thread: ${why}` } : { workers: asked };
}

/**
 * Runs core's training loop on `plan.workers` threads: `trainParallel` (gradients of each
 * batch's shards averaged across worker threads) for more than one, else core's `train()`.
 */
export function fitModel(model: Model, data: TrainData, options: TrainOptions, plan: ParallelPlan): Promise<TrainHistory> {
  if (plan.workers <= 1) return train(model, data, options);
  const { loss, capture, extraParams, step, ...rest } = options;
  if (typeof loss === 'function' || capture || extraParams || step) throw new ConfigError('fitModel: training on worker threads needs a built-in loss and no capture, extra params or step (ask parallelPlan first)', { option: 'workers' });
  return trainParallel(model, data, { ...rest, loss, workers: plan.workers });
}
