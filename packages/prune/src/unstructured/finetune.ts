import {
  ConfigError,
  adam,
  constantLr,
  cosineLr,
  train,
  type Callback,
  type LossSpec,
  type LrSchedule,
  type Model,
  type Optimizer,
  type Param,
  type TrainData,
  type TrainHistory,
} from '@bonsai/core';

/** Cosine decay for fine-tuning after pruning: core's `cosineLr` from `lr` to `min` over `totalSteps`, optional warm-up. */
export function cosineFineTuneLr(o: { lr: number; totalSteps: number; min?: number; warmupSteps?: number }): LrSchedule {
  if (!(o.lr > 0)) throw new ConfigError(`cosineFineTuneLr: lr must be > 0, got ${String(o.lr)}`, { lr: o.lr });
  return cosineLr({ initial: o.lr, totalSteps: o.totalSteps, min: o.min ?? 0, warmupSteps: o.warmupSteps ?? 0 });
}

/** Options of {@link perGroupLr}. */
export interface PerGroupLrOptions {
  /** Pruned params: Param objects, param names, or node ids (all trainable params of the node when `model` is given). */
  pruned: ReadonlyArray<string | Param>;
  /** Learning-rate multiplier of the pruned params (>= 0; 0 freezes them). */
  multiplier: number;
  /** Validates names against this model and, with `untouchedMultiplier`, sets the other params too. */
  model?: Model;
  /** Multiplier of the model's other trainable params (default: left as is). */
  untouchedMultiplier?: number;
}

/**
 * Per-group learning rates for fine-tuning (torch param groups): sets core
 * `Optimizer.lrMultipliers` for pruned vs untouched params. Returns the optimizer.
 */
export function perGroupLr(optimizer: Optimizer, options: PerGroupLrOptions): Optimizer {
  const check = (m: number, name: string) => {
    if (typeof m !== 'number' || !Number.isFinite(m) || m < 0) throw new ConfigError(`perGroupLr: ${name} must be a finite number >= 0, got ${String(m)}`, { [name]: m });
  };
  check(options.multiplier, 'multiplier');
  if (options.untouchedMultiplier !== undefined) check(options.untouchedMultiplier, 'untouchedMultiplier');
  const { model } = options;
  const names = new Set<string>();
  for (const entry of options.pruned) {
    if (typeof entry !== 'string') names.add(entry.name);
    else if (!model || model.params.has(entry)) names.add(entry);
    else {
      const ofNode = [...model.params.values()].filter((p) => p.nodeId === entry && p.trainable);
      if (ofNode.length === 0) throw new ConfigError(`perGroupLr: unknown param or node "${entry}"`, { param: entry }, { code: 'PARAM' });
      ofNode.forEach((p) => names.add(p.name));
    }
  }
  for (const n of names) optimizer.lrMultipliers.set(n, options.multiplier);
  if (model && options.untouchedMultiplier !== undefined) {
    for (const p of model.trainableParams()) if (!names.has(p.name)) optimizer.lrMultipliers.set(p.name, options.untouchedMultiplier);
  }
  return optimizer;
}

/** Options of {@link fineTune}. */
export interface FineTuneOptions {
  epochs: number;
  /** Peak learning rate (default 1e-3 with Adam, 1e-4 ... 1e-3 is typical after pruning). */
  lr?: number;
  /**
   * Loss: a core LossSpec (default 'crossEntropy'). For KD-assisted fine-tuning pass
   * @bonsai/distill's `kdLossSpec(teacher, { temperature, alpha })`: distillation lives there.
   */
  loss?: LossSpec;
  /** Optimizer (default Adam at `lr`); combine with {@link perGroupLr}. */
  optimizer?: Optimizer;
  /** Batch size for tensor data (default 64). */
  batchSize?: number;
  /** `'cosine'` (default) to zero over the run, `'constant'`, or a core LrSchedule. */
  lrSchedule?: 'cosine' | 'constant' | LrSchedule;
  /** Batches per epoch when `data` is a batch function (needed for the cosine schedule). */
  stepsPerEpoch?: number;
  /** Extra callbacks (e.g. {@link gradualPruning}: prune while fine-tuning). */
  callbacks?: readonly Callback[];
  /** Shuffle seed for tensor data. */
  seed?: number;
  /** Stop after this many steps. */
  maxSteps?: number;
}

/**
 * Fine-tunes a pruned model with core's `train()`: cosine-decayed learning rate by default, masks
 * held (pruned weights stay zero), with any core `LossSpec` as `loss` (KD: @bonsai/distill's
 * `kdLossSpec`). Returns the history.
 */
export async function fineTune(model: Model, data: TrainData, options: FineTuneOptions): Promise<TrainHistory> {
  const lr = options.lr ?? 1e-3;
  if (!(lr > 0)) throw new ConfigError(`fineTune: lr must be > 0, got ${String(lr)}`, { lr });
  const batchSize = options.batchSize ?? 64;
  const schedule = lrScheduleOf(data, options, lr, batchSize);
  const legacy = options as { teacher?: unknown; kdLoss?: unknown };
  if (legacy.teacher !== undefined || legacy.kdLoss !== undefined) {
    throw new ConfigError("fineTune: `teacher`/`kdLoss` are gone; pass `loss: kdLossSpec(teacher, { temperature, alpha })` from @bonsai/distill", { key: 'loss' });
  }
  const loss: LossSpec = options.loss ?? 'crossEntropy';
  if (typeof loss !== 'string' && typeof loss !== 'function') throw new ConfigError('fineTune: loss must be a core LossSpec (a loss name or a function of the loss context)', { key: 'loss' });
  const optimizer = options.optimizer ?? adam({ lr });
  try {
    return await train(model, data, {
      loss,
      optimizer,
      epochs: options.epochs,
      batchSize,
      lrSchedule: schedule,
      callbacks: options.callbacks,
      seed: options.seed,
      maxSteps: options.maxSteps,
    });
  } finally {
    // An optimizer made here is not reachable by the caller: free its state.
    if (!options.optimizer) optimizer.dispose();
  }
}

function lrScheduleOf(data: TrainData, o: FineTuneOptions, lr: number, batchSize: number): LrSchedule {
  const s = o.lrSchedule ?? 'cosine';
  if (typeof s === 'function') return s;
  if (s === 'constant') return constantLr(lr);
  if (s !== 'cosine') throw new ConfigError(`fineTune: lrSchedule must be 'cosine', 'constant' or a function, got ${String(s)}`, { lrSchedule: s });
  const perEpoch = typeof data === 'function' ? o.stepsPerEpoch : Math.ceil(data.x.shape[0]! / batchSize);
  if (perEpoch === undefined || !(perEpoch >= 1)) {
    throw new ConfigError('fineTune: the cosine schedule needs { stepsPerEpoch } when data is a batch function', { stepsPerEpoch: perEpoch });
  }
  const total = o.maxSteps ?? perEpoch * o.epochs;
  return cosineFineTuneLr({ lr, totalSteps: Math.max(1, total) });
}
