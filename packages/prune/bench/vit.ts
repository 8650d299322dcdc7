/**
 * Tiny ViT on real MNIST (issue 14): train a ViT on wasm (random affine jitter, label smoothing,
 * decoupled weight decay, warm-up + cosine), then compare the dense model with 50% of the
 * attention heads pruned (Taylor importance, in `headSteps` steps with a KD epoch between; KD on
 * logits + every block's output) and with 50% of the MLP hidden units pruned, each followed by a
 * short KD fine-tune from the dense model: accuracy, params, MACs, interleaved wasm latency, and the pruned models' numHeads /
 * headDim per block read back from the graph (no hand patching).
 * Exported for the prune bench index; `tsx bench/vit.ts` runs it alone.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { adam, cosineLr, initBackend, train, type Model } from '@bonsai/core';
import { loadMnist, toTensors, type MnistData } from '@bonsai/datasets';
import { distill, kdLoss, type HintSpec } from '@bonsai/distill';
import { accuracy } from '@bonsai/eval';
import { modelStats } from '@bonsai/graph';
import { vit, type VitOptions } from '@bonsai/models';
import { headOutputNorm, magnitude, Pruner, taylor, TaylorImportance } from '@bonsai/prune';
import { createReport, interleave, isSmoke, ms, num, pct, pick, spread } from '@bonsai/bench-harness';
import { augmentedBatches, decoupledWeightDecay, smoothedCrossEntropy, trainOrLoad, type AffineJitter } from './vit-recipe';

/** Options of {@link runVitBench}. */
export interface VitBenchOptions {
  /** Training epochs of the dense ViT (default 24). */
  epochs?: number;
  /** KD fine-tuning epochs after the last pruning step (default 3). */
  fineTuneEpochs?: number;
  /** Head pruning steps, `headKdEpochs` KD epochs after each but the last (default 2: one head per block per step). */
  headSteps?: number;
  /** KD epochs between head pruning steps (default 1). */
  headKdEpochs?: number;
  /** KD epochs after the last head pruning step (default 16; undefined: `fineTuneEpochs`). */
  headFineTuneEpochs?: number;
  /** Peak learning rate of the KD fine-tunes (Adam, cosine; default 1e-3). */
  kdLr?: number;
  /** Head importance: Taylor (|w * dL/dw| over 16 training batches) or the norm of each head's attention-output term (default 'outputNorm'). */
  headCriterion?: 'taylor' | 'outputNorm';
  /** Folder caching the trained dense model (default `$BONSAI_VIT_CACHE` or /tmp/vit; null: always train). Smoke runs never cache. */
  cacheDir?: string | null;
  /** Peak learning rate of the dense run (AdamW-style: Adam + decoupled decay; default 2e-3). */
  lr?: number;
  /** Decoupled weight decay of the dense run (default 0.05). */
  weightDecay?: number;
  /** Label smoothing of the dense run (default 0.1). */
  labelSmoothing?: number;
  /** Random shift augmentation in pixels, used when `affine` is null (default 2). */
  maxShift?: number;
  /** Random affine augmentation of the dense and KD runs (default ±10°, ±10% scale, ±2 px; null: shifts only). */
  affine?: AffineJitter | null;
  /** Weight of the per-block hidden-state KD terms (MSE on `blk{i}_add2`) of the head fine-tune (default 0.5; 0: logits only). */
  hintWeight?: number;
  /** Fraction of heads / MLP hidden units removed (default 0.5). */
  ratio?: number;
  /** The ViT (default patch 7, dim 48, depth 2, heads 4, mlpRatio 2). */
  model?: VitOptions;
}

interface Variant {
  name: string;
  model: Model;
  accPruned: number;
  accFineTuned: number;
  seconds: number;
}

const BATCH = 64;

function attentionShape(m: Model): string {
  return m.graph.nodes
    .filter((n) => n.attrs.numHeads !== undefined)
    .map((n) => `${n.id}: ${String(n.attrs.numHeads)}x${String(n.attrs.headDim)}`)
    .join(', ');
}

interface KdRun {
  epochs: number;
  lr: number;
  seed: number;
  maxShift: number;
  affine: AffineJitter | null;
  hints: HintSpec[];
}

async function fineTuneKd(teacher: Model, student: Model, data: MnistData, o: KdRun): Promise<void> {
  const batches = augmentedBatches(data.train, { batchSize: BATCH, seed: o.seed, maxShift: o.maxShift, ...(o.affine ? { affine: o.affine } : {}) });
  const steps = Math.ceil(data.train.count / BATCH) * o.epochs;
  const opt = adam({ lr: o.lr });
  await distill(teacher, student, batches, { optimizer: opt, epochs: o.epochs, lrSchedule: cosineLr({ initial: o.lr, totalSteps: steps }), loss: kdLoss({ temperature: 4, alpha: 0.7 }), hints: o.hints });
  opt.dispose();
}

/** KD terms on every block's output (same width before and after head pruning: no adapter). */
function blockHints(depth: number, weight: number): HintSpec[] {
  if (weight === 0) return [];
  return Array.from({ length: depth }, (_, i) => ({ teacherNode: `blk${i + 1}_add2`, studentNode: `blk${i + 1}_add2`, weight }));
}

/** Trains the ViT, prunes heads and MLP hidden units, fine-tunes with KD, and reports. */
export async function runVitBench(options: VitBenchOptions = {}): Promise<void> {
  const o = {
    epochs: pick(24, 1),
    fineTuneEpochs: pick(3, 1),
    headSteps: 2,
    headKdEpochs: 1,
    headFineTuneEpochs: pick(16, 1) as number | undefined,
    kdLr: 1e-3,
    headCriterion: 'outputNorm' as 'taylor' | 'outputNorm',
    cacheDir: (process.env.BONSAI_VIT_CACHE ?? '/tmp/vit') as string | null,
    ratio: 0.5,
    lr: 2e-3,
    weightDecay: 0.05,
    labelSmoothing: 0.1,
    maxShift: 2,
    affine: { rotate: 10, scale: 0.1, shift: 2 } as AffineJitter | null,
    hintWeight: 0.5,
    ...options,
    model: { patch: 7, dim: 48, depth: 2, heads: 4, mlpRatio: 2, seed: 0, ...options.model },
  };
  const info = await initBackend('wasm');
  const data = loadMnist(isSmoke() ? { trainSize: 256, testSize: 256 } : {});
  const aug = o.affine ? `random affine ±${o.affine.rotate}°, ±${o.affine.scale * 100}% scale, ±${o.affine.shift} px` : `random shifts ±${o.maxShift} px`;
  const recipe = `AdamW-style (Adam ${o.lr}, decoupled decay ${o.weightDecay}), 5% warm-up + cosine, label smoothing ${o.labelSmoothing}, ${aug}`;
  const kdAug = { maxShift: o.maxShift, affine: o.affine };
  const headHints = blockHints(o.model.depth, o.hintWeight);
  const report = createReport({
    bench: 'vit',
    settings: { ...o, batch: BATCH, recipe, headImportance: `${o.headCriterion} (16 training batches before each step)`, kd: `T 4, alpha 0.7, Adam ${o.kdLr} cosine, ${aug}; heads also MSE x${o.hintWeight} on every block output`, train: data.train.count, test: data.test.count, backend: info.name },
  });
  const test = toTensors(data.test);
  const acc = (m: Model): number => accuracy(m, test.x, test.y, { batchSize: 500 });

  // 1. Dense ViT (trained once per recipe and cached: the head recipes are explored on it).
  const denseKey = JSON.stringify({ epochs: o.epochs, lr: o.lr, weightDecay: o.weightDecay, labelSmoothing: o.labelSmoothing, maxShift: o.maxShift, affine: o.affine, model: o.model, train: data.train.count, batch: BATCH });
  const cacheDir = isSmoke() || o.cacheDir === null ? null : path.join(o.cacheDir, `dense-${createHash('sha256').update(denseKey).digest('hex').slice(0, 12)}`);
  const t0 = performance.now();
  const trained = await trainOrLoad(cacheDir, () => vit(o.model), async (dense) => {
    const opt = adam({ lr: o.lr });
    const steps = Math.ceil(data.train.count / BATCH) * o.epochs;
    await train(dense, augmentedBatches(data.train, { batchSize: BATCH, seed: 1, maxShift: o.maxShift, ...(o.affine ? { affine: o.affine } : {}) }), {
      optimizer: opt, epochs: o.epochs, loss: smoothedCrossEntropy(o.labelSmoothing),
      lrSchedule: cosineLr({ initial: o.lr, totalSteps: steps, warmupSteps: Math.ceil(steps * 0.05) }),
      callbacks: [decoupledWeightDecay(dense, o.weightDecay), { onEpochEnd: (s) => console.log(`  epoch ${s.epoch + 1}/${o.epochs}: loss ${s.epochLoss.toFixed(3)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`) }],
    });
    opt.dispose();
  });
  const dense = trained.model;
  const { seconds: trainSeconds, cpuSeconds: trainCpuSeconds } = trained;
  if (trained.cached) console.log(`dense ViT loaded from ${cacheDir} (trained by this recipe earlier)`);
  const accDense = acc(dense);
  console.log(`dense ViT: ${pct(accDense)} after ${o.epochs} epochs, ${trainSeconds.toFixed(0)} s wall, ${trainCpuSeconds.toFixed(0)} s CPU`);

  // 2. Pruned variants, each KD fine-tuned from the dense model.
  const variants: Variant[] = [];
  const prune = async (name: string, hints: HintSpec[], fineTune: number, run: (m: Model) => Promise<void>): Promise<void> => {
    const t = performance.now();
    const m = dense.clone();
    await run(m);
    const accPruned = acc(m);
    await fineTuneKd(dense, m, data, { epochs: fineTune, lr: o.kdLr, seed: 2, ...kdAug, hints });
    variants.push({ name, model: m, accPruned, accFineTuned: acc(m), seconds: (performance.now() - t) / 1000 });
    console.log(`${name}: ${pct(accPruned)} pruned, ${pct(variants.at(-1)!.accFineTuned)} after KD; ${attentionShape(m)}`);
  };
  // Heads: Taylor scores from a few training batches before each step; a KD epoch between steps.
  const headFineTune = o.headFineTuneEpochs ?? o.fineTuneEpochs;
  await prune(`${o.ratio * 100}% heads (${o.headCriterion === 'taylor' ? 'Taylor' : 'output norm'}, ${o.headSteps} steps)`, headHints, headFineTune, async (m) => {
    const imp = o.headCriterion === 'taylor' ? taylor() : headOutputNorm();
    const pruner = new Pruner(m, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: o.ratio, headImportance: imp, iterativeSteps: o.headSteps });
    for (let k = 0; k < o.headSteps; k++) {
      imp.accumulate(m, augmentedBatches(data.train, { batchSize: BATCH, seed: 3 + k, maxShift: 0 })(0), { maxBatches: 16 });
      pruner.step();
      console.log(`  head step ${k + 1}: ${attentionShape(m)}, ${pct(acc(m))}`);
      if (k + 1 < o.headSteps) await fineTuneKd(dense, m, data, { epochs: o.headKdEpochs, lr: o.kdLr, seed: 10 + k, ...kdAug, hints: headHints });
    }
    if (imp instanceof TaylorImportance) imp.dispose();
  });
  await prune(`${o.ratio * 100}% MLP hidden (L1)`, [], o.fineTuneEpochs, async (m) => {
    new Pruner(m, { importance: magnitude(), ratio: o.ratio, ignored: ['patch_embed', 'head'] }).step();
  });

  // 3. Interleaved latency (batch 1 and batch 64).
  const all = [{ name: 'dense', model: dense }, ...variants];
  const latency = async (batch: number) => {
    const x = tf.slice(test.x, 0, batch);
    const runs = Object.fromEntries(all.map((v) => [v.name, () => {
      const y = v.model.forward(x);
      y.dataSync();
      y.dispose();
    }]));
    const t = await interleave(runs, { warmup: 3, runs: pick(31, 3) });
    x.dispose();
    return t;
  };
  const lat1 = await latency(1);
  const lat64 = await latency(64);

  const statsDense = modelStats(dense);
  const row = (name: string, m: Model, accPruned: number | undefined, accFinal: number, seconds: number): string[] => {
    const s = modelStats(m);
    const vsDense = (t: typeof lat1): string => (name === 'dense' ? '' : spread(t.ratio(name, 'dense')));
    return [
      name, accPruned === undefined ? '' : pct(accPruned), pct(accFinal), `${((accDense - accFinal) * 100).toFixed(2)} pt`,
      num(s.trainableParams), `x${(s.trainableParams / statsDense.trainableParams).toFixed(3)}`, num(s.macs), `x${(s.macs / statsDense.macs).toFixed(3)}`,
      ms(lat1.variants[name]!.median), vsDense(lat1), ms(lat64.variants[name]!.median), vsDense(lat64),
      attentionShape(m), seconds.toFixed(0),
    ];
  };
  report.table('vit', {
    title: `Tiny ViT on MNIST (patch ${o.model.patch}, dim ${o.model.dim}, depth ${o.model.depth}, heads ${o.model.heads}, MLP x${o.model.mlpRatio}; ${data.train.count}/${data.test.count} split; ${o.epochs} epochs, batch ${BATCH}, ${recipe}; heads: ${o.headSteps} steps with ${o.headKdEpochs} KD epoch(s) between and ${headFineTune} after; MLP: ${o.fineTuneEpochs} KD epochs after; wasm)`,
    columns: ['model', 'acc pruned', 'acc (after KD)', 'drop', 'params', 'params ÷ dense', 'MACs', 'MACs ÷ dense', 'latency b1 ms', 'b1 ÷ dense', 'latency b64 ms', 'b64 ÷ dense', 'heads x headDim per block (read from the graph)', 'time s'],
    rows: [
      row('dense', dense, undefined, accDense, trainSeconds),
      ...variants.map((v) => row(v.name, v.model, v.accPruned, v.accFineTuned, v.seconds)),
    ],
    note: `Dense training took ${trainSeconds.toFixed(0)} s wall, ${trainCpuSeconds.toFixed(0)} s CPU${trained.cached ? ' (in the earlier run that trained the cached model this run loaded)' : ''} (${(trainCpuSeconds / o.epochs).toFixed(1)} s CPU/epoch) on the wasm backend, 1 thread; load average ${os.loadavg()[0]!.toFixed(1)} at the end on ${os.cpus().length} cores. 'acc pruned' is measured right after the last pruning step (for heads: after the last step, with KD epochs after each earlier step). Latencies are medians of interleaved rounds; ratios are paired per round (median and IQR).`,
  });
  report.write();
  test.x.dispose();
  test.y.dispose();
  for (const v of all) v.model.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) await runVitBench(JSON.parse(process.argv[2] ?? '{}') as VitBenchOptions);
