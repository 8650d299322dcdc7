import { existsSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { adam, load, save, train, type Callback, type Model } from '@bonsai/core';
import { kdLossSpec } from '@bonsai/distill';
import { agp, fineTune, gradualPruning, sparseVariationalDropout } from '@bonsai/prune';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { lenet5, mlp300100, smallCnn } from '@bonsai/models';

/** Settings of one sparse-variational-dropout run (Molchanov et al. 2017) in the sparsity bench. */
export interface VdRunConfig {
  /** Epochs of variational training (the KL weight warms up over the first `warmupEpochs`). */
  epochs: number;
  warmupEpochs: number;
  /** Learning rate of θ; log σ² gets `lr * logSigma2LrMultiplier` (Adam moves each by about its lr per step). */
  lr: number;
  logSigma2LrMultiplier: number;
  /** Initial log σ² of every weight. */
  initLogSigma2: number;
  /** Mask log α above this (the paper's 3)... */
  threshold: number;
  /** ...or, when set, the weights with the largest log α up to this global sparsity. */
  sparsity?: number;
  /** Weight of the KL term (the ELBO's 1; larger trades accuracy for sparsity). */
  klWeight: number;
  /** Epochs of deterministic fine-tuning with the masks held, after thresholding (part of the epoch budget). */
  fineTuneEpochs: number;
  /**
   * With `sparsity`: mask only log α > threshold after the variational epochs, then reach `sparsity`
   * gradually during the fine-tune (AGP's cubic ramp over this fraction of its epochs, global,
   * scored by the final -log α) instead of masking the largest log α all at once.
   */
  gradualRamp?: number;
  /** Fine-tune with knowledge distillation from this teacher (the dense model; Hinton et al. 2015) instead of the labels alone. */
  kd?: { teacher: Model; temperature: number; alpha: number };
  batchSize: number;
}

/**
 * Trains `model` (in place) with sparse variational dropout, then masks log α > threshold and
 * fine-tunes the survivors `fineTuneEpochs` (masks held). Returns the removed fraction of the
 * weights it sparsified. `onEpoch` sees the masked fraction after each variational epoch.
 */
export async function runSparseVd(model: Model, data: { x: tf.Tensor; y: tf.Tensor }, cfg: VdRunConfig, onEpoch?: (epoch: number, vd: ReturnType<typeof sparseVariationalDropout>) => void): Promise<number> {
  const vd = sparseVariationalDropout(model, { seed: 7, initLogSigma2: cfg.initLogSigma2 });
  const opt = adam({ lr: cfg.lr });
  for (const p of vd.logSigma2) opt.lrMultipliers.set(p.name, cfg.logSigma2LrMultiplier);
  const steps = Math.ceil(data.x.shape[0]! / cfg.batchSize);
  const cb: Callback = { onEpochEnd: (s) => onEpoch?.(s.epoch, vd) };
  try {
    await train(vd.model, data, {
      epochs: cfg.epochs, batchSize: cfg.batchSize, optimizer: opt, seed: 3, extraParams: vd.logSigma2, callbacks: [cb],
      loss: vd.loss({ trainSize: data.x.shape[0]!, warmupSteps: cfg.warmupEpochs * steps, klWeight: cfg.klWeight }),
    });
    const gradual = cfg.sparsity !== undefined && cfg.gradualRamp !== undefined && cfg.fineTuneEpochs > 0;
    let removed = vd.applyMasks(cfg.sparsity === undefined || gradual ? { threshold: cfg.threshold } : { sparsity: cfg.sparsity });
    const callbacks: Callback[] = [];
    if (gradual) {
      const scores = new Map(vd.logSigma2.map((ls) => {
        const name = ls.name.replace(/\.logSigma2$/, '');
        return [name, Float32Array.from(vd.logAlpha(name).dataSync(), (a) => -a)] as const;
      }));
      const endStep = Math.max(1, Math.round(cfg.gradualRamp! * cfg.fineTuneEpochs * steps));
      callbacks.push(gradualPruning({ schedule: agp({ initialSparsity: removed, finalSparsity: cfg.sparsity!, beginStep: 0, endStep, frequency: 25 }), global: true, params: [...scores.keys()], importance: (p) => scores.get(p.name)! }));
      removed = cfg.sparsity!;
    }
    if (cfg.fineTuneEpochs > 0) await fineTune(model, data, { epochs: cfg.fineTuneEpochs, lr: cfg.lr, batchSize: cfg.batchSize, seed: 5, callbacks, ...(cfg.kd ? { loss: kdLossSpec(cfg.kd.teacher, cfg.kd) } : {}) });
    return removed;
  } finally {
    opt.dispose();
    vd.dispose();
  }
}

/**
 * The dense model every method starts from: loaded from `/tmp/sparsity/<key>` when a previous
 * run saved it there (same seed, data and epochs in `key`), else trained and saved.
 */
export async function cachedDense(key: string, build: () => Model, data: { x: tf.Tensor; y: tf.Tensor }, o: { epochs: number; batchSize: number; lr: number }, useCache = true): Promise<{ model: Model; seconds: number; cached: boolean }> {
  const dir = `/tmp/sparsity/${key}`;
  if (useCache && existsSync(`${dir}/model.json`)) return { model: await load(dir), seconds: 0, cached: true };
  const model = build();
  const t0 = performance.now();
  const opt = adam({ lr: o.lr });
  await train(model, data, { epochs: o.epochs, batchSize: o.batchSize, optimizer: opt, seed: 1 });
  opt.dispose();
  const seconds = (performance.now() - t0) / 1000;
  if (useCache) await save(model, dir);
  return { model, seconds, cached: false };
}

/**
 * What the tuning scripts (sparsity-explore.ts, sparsity-agp-explore.ts) start from: the real
 * 8000/2000 MNIST split as tensors and the cached dense `name` model (`DENSE_EPOCHS` overrides its
 * default dense epochs; the cache key is the bench's).
 */
export async function exploreStart(name: string): Promise<{ trainT: { x: tf.Tensor; y: tf.Tensor }; testT: { x: tf.Tensor; y: tf.Tensor }; dense: Awaited<ReturnType<typeof cachedDense>>; build: () => Model }> {
  const data = loadMnist({ seed: 42 });
  const trainT = toTensors(data.train);
  const testT = toTensors(data.test);
  const builds = { 'LeNet-300-100': [() => mlp300100({ seed: 0 }), 10], 'LeNet-5': [() => lenet5({ seed: 0 }), 4], 'small CNN 8-8-16-16': [() => smallCnn({ seed: 0, widths: [8, 16], hidden: 32 }), 4] } as const;
  const [build, defaultDense] = builds[name as keyof typeof builds];
  const denseEpochs = Number(process.env.DENSE_EPOCHS ?? defaultDense);
  const dense = await cachedDense(`${name}-e${denseEpochs}-n${data.train.count}`, build, trainT, { epochs: denseEpochs, batchSize: 64, lr: 1e-3 });
  return { trainT, testT, dense, build };
}
