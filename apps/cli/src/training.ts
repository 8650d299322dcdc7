import { topKAccuracies } from '@bonsai/eval';
import * as tf from '@tensorflow/tfjs-core';
import { adam, constantLr, cosineLr, sgd, stepLr, type Callback, type LossSpec, type LrSchedule, type Model, type NodeId, type Optimizer } from '@bonsai/core';
import { batchForMemory } from './batch-memory';
import { recalibrateBatchNorm } from './bn-recalibration';
import type { RunContext } from './context';
import type { DataSplits } from './data';
import { fitModel, parallelPlan } from './parallel-training';
import { partBatches, trainingData, type Augment } from './stream';

/** Training settings shared by train, fineTune, distill and gradualPrune steps. */
export interface TrainSettings {
  epochs: number;
  lr?: number;
  batchSize?: number;
  optimizer: 'adam' | 'sgd';
  schedule: 'cosine' | 'step' | 'constant';
  weightDecay: number;
  maxSteps?: number;
  /** Training-time augmentation of the batches. */
  augment?: Augment;
  /** Measure test accuracy after every epoch (default true). */
  evalEachEpoch?: boolean;
  /** Label smoothing of the one-hot targets: `(1 - s) * onehot + s / classes` (default 0). */
  labelSmoothing?: number;
  /** Worker threads (@bonsai/parallel's `trainParallel`; default 1 = core's `train()` on this thread). */
  workers?: number;
}

/** What {@link runTraining} reports. */
export interface TrainReport {
  epochs: number;
  steps: number;
  epochLosses: number[];
  /** Test accuracy after each epoch (when measured). */
  testAccuracy: number[];
  seconds: number;
  /** Of `seconds`, the time spent measuring: batch-norm re-estimation and test accuracy after each epoch. */
  evalSeconds: number;
  /** CPU time of the process over the run (all threads, the workers included): comparable across machine loads where `seconds` is not. */
  cpuSeconds: number;
  samplesPerSecond: number;
  /** Threads the gradients were computed on (1 = core's `train()`). */
  workers: number;
}

function makeOptimizer(s: TrainSettings, lr: number): Optimizer {
  return s.optimizer === 'sgd' ? sgd({ lr, momentum: 0.9, nesterov: true, weightDecay: s.weightDecay }) : adam({ lr, weightDecay: s.weightDecay });
}

function makeSchedule(s: TrainSettings, lr: number, totalSteps: number): LrSchedule {
  if (s.schedule === 'cosine') return cosineLr({ initial: lr, totalSteps: Math.max(1, totalSteps), min: lr * 0.01, warmupSteps: Math.min(100, Math.ceil(totalSteps * 0.05)) });
  if (s.schedule === 'step') return stepLr({ initial: lr, stepSize: Math.max(1, Math.ceil(s.epochs / 3)), gamma: 0.3 });
  return constantLr(lr);
}

/** Test accuracy of `model` on the data's held-out part, streamed batch by batch (no lasting tensors). */
export async function testAccuracy(model: Model, data: DataSplits): Promise<number> {
  const batchSize = batchForMemory(model, 500, { training: false });
  let hits = 0;
  for await (const b of partBatches(data, data.test, { batchSize })) {
    try {
      hits += topKAccuracies(model, b, [1], { batchSize })[0]! * b.x.shape[0]!;
    } finally {
      tf.dispose([b.x, b.y]);
    }
  }
  return data.test.count ? hits / data.test.count : 0;
}

/**
 * Trains `model` with core's `train()` on the training part, streamed (labels or pseudo-labels
 * looked up by batch index, the next batch loading during the step), drawing a progress bar per epoch
 * (epoch, batch i/n, loss, samples/s, ETA) and measuring test accuracy after each epoch.
 */
export async function runTraining(
  model: Model,
  data: DataSplits,
  settings: TrainSettings,
  ctx: RunContext,
  extra: { label: string; defaultLr: number; loss?: LossSpec; capture?: readonly NodeId[]; callbacks?: readonly Callback[]; evalEachEpoch?: boolean; recalibrate?: boolean },
): Promise<TrainReport> {
  // An explicit batch size is used as given; the default shrinks to what the activations allow.
  const batchSize = settings.batchSize ?? batchForMemory(model, data.batchSize, { training: true });
  if (batchSize < (settings.batchSize ?? data.batchSize)) ctx.log(`${extra.label}: batch size ${batchSize} (not ${data.batchSize}): a larger batch's activations would not fit the wasm heap`);
  const lr = settings.lr ?? extra.defaultLr;
  const perEpoch = Math.ceil(data.train.count / batchSize);
  const totalSteps = Math.min(perEpoch * settings.epochs, settings.maxSteps ?? Infinity);
  const optimizer = makeOptimizer(settings, lr);
  const accs: number[] = [];
  const plan = parallelPlan({ workers: settings.workers, customLoss: typeof extra.loss === 'function', capture: (extra.capture?.length ?? 0) > 0, changesParams: (extra.callbacks?.length ?? 0) > 0, backend: tf.getBackend() });
  if (plan.fallback) ctx.log(`${extra.label}: ${plan.fallback}`);
  else if (plan.workers > 1) ctx.log(`${extra.label}: ${plan.workers} worker threads (@bonsai/parallel), batch ${batchSize} split into ${plan.workers} shards`);
  let samples = 0;
  let evalMs = 0;
  const bar = ctx.progress;
  const progress: Callback = {
    onEpochBegin: (s) => {
      samples = 0;
      bar.start(`${extra.label} epoch ${s.epoch + 1}/${settings.epochs}`, Math.min(perEpoch, totalSteps - s.step));
    },
    onBatchEnd: (s) => {
      samples += Math.min(batchSize, data.train.count - s.batchIndex * batchSize);
      bar.update(s.batchIndex + 1, { loss: s.loss, samples });
    },
    onEpochEnd: async (s) => {
      const e0 = performance.now();
      const measure = (extra.evalEachEpoch ?? true) && settings.evalEachEpoch !== false;
      const last = s.stopTraining || s.epoch === settings.epochs - 1;
      // Running BN statistics lag behind short runs: re-estimate them before measuring (or once, at the end).
      if ((extra.recalibrate ?? true) && (measure || last)) await recalibrateBatchNorm(model, data);
      let suffix = `mean loss ${s.epochLoss.toFixed(4)}`;
      if (measure) {
        const acc = await testAccuracy(model, data);
        accs.push(acc);
        suffix += `, test accuracy ${(acc * 100).toFixed(2)}%`;
      }
      evalMs += performance.now() - e0;
      bar.finish(suffix);
    },
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stream = trainingData(data, batchSize, data.seed + model.seed, { augment: settings.augment, labelSmoothing: settings.labelSmoothing });
  try {
    const history = await fitModel(model, stream.data, {
      epochs: settings.epochs,
      optimizer,
      loss: extra.loss,
      capture: extra.capture,
      lrSchedule: makeSchedule(settings, lr, totalSteps),
      maxSteps: settings.maxSteps,
      callbacks: [stream.callback, ...(extra.callbacks ?? []), progress],
    }, plan);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      epochs: history.epochLosses.length,
      steps: history.steps,
      epochLosses: history.epochLosses,
      testAccuracy: accs,
      seconds,
      evalSeconds: evalMs / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      samplesPerSecond: (history.steps * batchSize) / Math.max(seconds - evalMs / 1000, 1e-9),
      workers: plan.workers,
    };
  } finally {
    bar.finish();
    optimizer.dispose();
  }
}
