import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import type { NodeId } from '../ir/types';
import type { Model } from '../model';
import type { Param } from '../param';
import { shuffledIndices } from '../util/rng';
import { crossEntropy, meanSquaredError } from './losses';
import { adam, type Optimizer } from './optimizers';
import type { LrSchedule } from './schedules';

/** One mini-batch: inputs and targets. The producer owns the tensors unless stated otherwise. */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/**
 * Training data: whole tensors (batched and shuffled by `train` with a seed), or a function that
 * returns the batches of an epoch (train disposes each batch after use).
 */
export type TrainData = { x: tf.Tensor; y: tf.Tensor } | ((epoch: number) => Iterable<Batch>);

/** What a custom loss sees. */
export interface LossContext {
  model: Model;
  batch: Batch;
  output: tf.Tensor;
  captured: Record<NodeId, tf.Tensor>;
  state: TrainState;
}

/** A loss: a built-in name or a function returning a scalar (called inside the gradient tape). */
export type LossSpec = 'crossEntropy' | 'mse' | ((ctx: LossContext) => tf.Scalar);

/** Mutable state passed to callbacks. */
export interface TrainState {
  model: Model;
  optimizer: Optimizer;
  epoch: number;
  /** Global step (batches seen so far). */
  step: number;
  /** Batch index within the epoch. */
  batchIndex: number;
  /** Loss of the last batch. */
  loss: number;
  /** Mean loss of the current (or last finished) epoch. */
  epochLoss: number;
  /** Set to true in a callback to stop after the current batch. */
  stopTraining: boolean;
  /** Total epochs planned. */
  epochs: number;
  /** Batches per epoch when known (tensor data), else NaN. */
  batchesPerEpoch: number;
}

/**
 * Training callbacks: where pruning schedules, slimming regularizers, QAT and distillation plug in.
 * `onAfterBackward` may return replacement gradients (it then owns the old ones it replaced).
 */
export interface Callback {
  onTrainBegin?(s: TrainState): void | Promise<void>;
  onEpochBegin?(s: TrainState): void | Promise<void>;
  onBatchBegin?(s: TrainState, batch: Batch): void | Promise<void>;
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback may return nothing (keep the gradients) or replacements
  onAfterBackward?(grads: Record<string, tf.Tensor>, s: TrainState): Record<string, tf.Tensor> | void;
  onBatchEnd?(s: TrainState): void | Promise<void>;
  onEpochEnd?(s: TrainState): void | Promise<void>;
  onTrainEnd?(s: TrainState): void | Promise<void>;
}

/** Options of {@link train}. */
export interface TrainOptions {
  loss?: LossSpec;
  optimizer?: Optimizer;
  epochs?: number;
  /** Used when data is given as whole tensors. */
  batchSize?: number;
  /**
   * Shuffle seed for tensor data: epoch e visits rows `shuffledIndices(n, seed + e)` in order,
   * so batch b holds entries `[b * batchSize, (b + 1) * batchSize)` of that permutation.
   */
  seed?: number;
  /** Learning rate per step; overrides optimizer.lr every step. */
  lrSchedule?: LrSchedule;
  /** Nodes to capture for a custom loss. */
  capture?: readonly NodeId[];
  callbacks?: readonly Callback[];
  /** Stop after this many steps in total (for quick runs). */
  maxSteps?: number;
  /**
   * Trainable params outside the model (e.g. distillation adapters a custom loss uses):
   * differentiated in the same `tf.variableGrads` call as the model's and stepped by the same
   * optimizer; their grads reach `onAfterBackward` keyed by param name. Names must not collide
   * with the model's params. The caller owns them.
   */
  extraParams?: readonly Param[];
  /**
   * Replaces the built-in step (forward, backward, `onAfterBackward`, optimizer) on each batch
   * and returns the batch loss; runs after `onBatchBegin` and the learning-rate schedule. How
   * @bonsai/parallel runs this loop with its worker threads.
   */
  step?: (batch: Batch, state: TrainState) => number | Promise<number>;
}

/** Summary of a finished run. */
export interface TrainHistory {
  epochLosses: number[];
  steps: number;
}

function* tensorBatches(x: tf.Tensor, y: tf.Tensor, batchSize: number, seed: number): Generator<Batch> {
  const n = x.shape[0]!;
  const order = shuffledIndices(n, seed);
  for (let i = 0; i < n; i += batchSize) {
    const idx = tf.tensor1d(Array.from(order.subarray(i, Math.min(n, i + batchSize))), 'int32');
    const batch = { x: tf.gather(x, idx), y: tf.gather(y, idx) };
    idx.dispose();
    yield batch;
  }
}

/**
 * Trains `model` in place with mini-batch gradient descent. Gradients reach only trainable
 * params; masked entries get zero gradient. Returns per-epoch mean losses.
 */
export async function train(model: Model, data: TrainData, options: TrainOptions = {}): Promise<TrainHistory> {
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ConfigError(`train: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`train: batchSize must be a positive integer, got ${batchSize}`);
  const ownOptimizer = options.optimizer === undefined;
  const optimizer = options.optimizer ?? adam();
  const callbacks = options.callbacks ?? [];
  const lossSpec = options.loss ?? 'crossEntropy';
  const seed = options.seed ?? 0;
  const tensorData = typeof data === 'function' ? undefined : data;
  if (tensorData && tensorData.x.shape[0] !== tensorData.y.shape[0]) {
    throw new ShapeError(`train: x has ${tensorData.x.shape[0]} samples but y has ${tensorData.y.shape[0]}`);
  }
  checkExtraParams(model, options.extraParams ?? []);
  const state: TrainState = {
    model, optimizer, epoch: 0, step: 0, batchIndex: 0, loss: NaN, epochLoss: NaN, stopTraining: false, epochs,
    batchesPerEpoch: tensorData ? Math.ceil(tensorData.x.shape[0]! / batchSize) : NaN,
  };
  const history: TrainHistory = { epochLosses: [], steps: 0 };
  try {
    await runEpochs({ model, data, options, state, history, callbacks, lossSpec, optimizer, tensorData, batchSize, seed, epochs });
  } finally {
    if (ownOptimizer) optimizer.dispose();
  }
  return history;
}

/** Extra params must have names distinct from the model's params and from each other. */
function checkExtraParams(model: Model, extra: readonly Param[]): void {
  const seen = new Set<string>();
  for (const p of extra) {
    if (model.params.has(p.name) || seen.has(p.name)) throw new ConfigError(`train: extra param "${p.name}" collides with another param of the same name`, { param: p.name });
    seen.add(p.name);
  }
}

/** Everything one training run needs, resolved from the options. */
interface TrainLoop {
  model: Model;
  data: TrainData;
  options: TrainOptions;
  state: TrainState;
  history: TrainHistory;
  callbacks: readonly Callback[];
  lossSpec: LossSpec;
  optimizer: Optimizer;
  tensorData: { x: tf.Tensor; y: tf.Tensor } | undefined;
  batchSize: number;
  seed: number;
  epochs: number;
}

async function runEpochs(loop: TrainLoop): Promise<void> {
  const { model, data, options, state, history, callbacks, lossSpec, optimizer, tensorData, batchSize, seed, epochs } = loop;
  for (const cb of callbacks) await cb.onTrainBegin?.(state);
  for (let epoch = 0; epoch < epochs && !state.stopTraining; epoch++) {
    state.epoch = epoch;
    state.batchIndex = 0;
    for (const cb of callbacks) await cb.onEpochBegin?.(state);
    const batches = tensorData ? tensorBatches(tensorData.x, tensorData.y, batchSize, seed + epoch) : (data as (e: number) => Iterable<Batch>)(epoch);
    let sum = 0;
    let count = 0;
    for (const batch of batches) {
      try {
        for (const cb of callbacks) await cb.onBatchBegin?.(state, batch);
        if (options.lrSchedule) optimizer.lr = options.lrSchedule(state.step, epoch);
        state.loss = options.step ? await options.step(batch, state) : trainStep(model, batch, lossSpec, optimizer, callbacks, state, options.capture, options.extraParams);
      } finally {
        batch.x.dispose();
        batch.y.dispose();
      }
      sum += state.loss;
      count++;
      state.step++;
      history.steps++;
      for (const cb of callbacks) await cb.onBatchEnd?.(state);
      state.batchIndex++;
      if (state.stopTraining || (options.maxSteps !== undefined && state.step >= options.maxSteps)) {
        state.stopTraining = true;
        break;
      }
    }
    state.epochLoss = count ? sum / count : NaN;
    history.epochLosses.push(state.epochLoss);
    for (const cb of callbacks) await cb.onEpochEnd?.(state);
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(state);
}

/**
 * One optimization step on one batch; returns the loss. Differentiates the model's trainable
 * params and the trainable `extraParams` (see {@link TrainOptions.extraParams}).
 */
export function trainStep(
  model: Model,
  batch: Batch,
  lossSpec: LossSpec,
  optimizer: Optimizer,
  callbacks: readonly Callback[],
  state: TrainState,
  capture?: readonly NodeId[],
  extraParams: readonly Param[] = [],
): number {
  const params = [...model.trainableParams(), ...extraParams.filter((p) => p.trainable)];
  const vars = params.map((p) => p.value);
  const { value, grads } = tf.variableGrads(() => {
    const r = model.run(batch.x, { training: true, capture: capture ?? [], inputGrads: false });
    if (typeof lossSpec === 'function') return lossSpec({ model, batch, output: r.output, captured: r.captured, state });
    return lossSpec === 'mse' ? meanSquaredError(r.output, batch.y) : crossEntropy(r.output, batch.y);
  }, vars);
  const byName: Record<string, tf.Tensor> = {};
  params.forEach((p) => {
    const g = grads[p.value.name];
    if (g) byName[p.name] = g;
  });
  let current = byName;
  for (const cb of callbacks) {
    const replaced = cb.onAfterBackward?.(current, state);
    if (replaced && replaced !== current) {
      for (const [k, t] of Object.entries(current)) if (replaced[k] !== t) t.dispose();
      current = replaced;
    }
  }
  optimizer.step(params, current);
  const loss = value.dataSync()[0]!;
  value.dispose();
  for (const t of Object.values(current)) t.dispose();
  return loss;
}
