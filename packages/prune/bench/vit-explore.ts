/**
 * Recipe exploration for the ViT bench (issue 14), not part of `pnpm bench`: trains one dense ViT
 * with the options given as JSON (argv[2]), saves it under `/tmp/vit/<name>` (or loads it
 * when already there), then prunes `headRatio` of the heads by Taylor in `headSteps` steps with
 * KD epochs between and after, printing test accuracy at every stage.
 * `tsx bench/vit-explore.ts '{"name":"a","epochs":16,"affine":{"rotate":10,"scale":0.1,"shift":2}}'`
 */
import * as fs from 'node:fs';
import { adam, cosineLr, initBackend, load, save, train, type Model } from '@bonsai/core';
import { loadMnist, toTensors, type MnistData } from '@bonsai/datasets';
import { distill, kdLoss, type HintSpec } from '@bonsai/distill';
import { accuracy } from '@bonsai/eval';
import { vit, type VitOptions } from '@bonsai/models';
import { Pruner, taylor } from '@bonsai/prune';
import { augmentedBatches, decoupledWeightDecay, smoothedCrossEntropy, type AffineJitter } from './vit-recipe';

interface ExploreOptions {
  name: string;
  epochs: number;
  lr: number;
  weightDecay: number;
  labelSmoothing: number;
  maxShift: number;
  affine?: AffineJitter;
  model: VitOptions;
  headRatio: number;
  headSteps: number;
  kdBetween: number;
  kdAfter: number;
  kdLr: number;
  alpha: number;
  hintWeight: number;
  denseOnly: boolean;
}

const BATCH = 64;
const o: ExploreOptions = {
  name: 'base', epochs: 16, lr: 2e-3, weightDecay: 0.05, labelSmoothing: 0.1, maxShift: 2,
  headRatio: 0.5, headSteps: 2, kdBetween: 1, kdAfter: 2, kdLr: 5e-4, alpha: 0.7, hintWeight: 0, denseOnly: false,
  ...(JSON.parse(process.argv[2] ?? '{}') as Partial<ExploreOptions>),
  model: { patch: 7, dim: 48, depth: 2, heads: 4, mlpRatio: 2, seed: 0, ...(JSON.parse(process.argv[2] ?? '{}') as { model?: VitOptions }).model },
};
await initBackend('wasm');
const data: MnistData = loadMnist();
const test = toTensors(data.test);
const acc = (m: Model): string => `${(accuracy(m, test.x, test.y, { batchSize: 500 }) * 100).toFixed(2)}%`;
const dir = `/tmp/vit/${o.name}`;
const t0 = performance.now();
const c0 = process.cpuUsage();
const cpuS = (): string => { const c = process.cpuUsage(c0); return `${((c.user + c.system) / 1e6).toFixed(0)} s CPU, ${((performance.now() - t0) / 1000).toFixed(0)} s wall`; };

let dense: Model;
if (fs.existsSync(`${dir}/model.json`)) {
  dense = await load(dir);
} else {
  dense = vit(o.model);
  const opt = adam({ lr: o.lr });
  const steps = Math.ceil(data.train.count / BATCH) * o.epochs;
  await train(dense, augmentedBatches(data.train, { batchSize: BATCH, seed: 1, maxShift: o.maxShift, ...(o.affine ? { affine: o.affine } : {}) }), {
    optimizer: opt, epochs: o.epochs, loss: smoothedCrossEntropy(o.labelSmoothing),
    lrSchedule: cosineLr({ initial: o.lr, totalSteps: steps, warmupSteps: Math.ceil(steps * 0.05) }),
    callbacks: [decoupledWeightDecay(dense, o.weightDecay), { onEpochEnd: (s) => console.log(`[${o.name}] epoch ${s.epoch + 1}: loss ${s.epochLoss.toFixed(3)}, ${cpuS()}${(s.epoch + 1) % 4 === 0 ? `, test ${acc(dense)}` : ''}`) }],
  });
  opt.dispose();
  await save(dense, dir);
}
console.log(`[${o.name}] dense ${acc(dense)} (${cpuS()})`);
if (o.denseOnly) process.exit(0);

const hints: HintSpec[] = o.hintWeight > 0
  ? Array.from({ length: o.model.depth ?? 2 }, (_, i) => ({ teacherNode: `blk${i + 1}_add2`, studentNode: `blk${i + 1}_add2`, weight: o.hintWeight }))
  : [];
const kd = async (m: Model, epochs: number, seed: number): Promise<void> => {
  const batches = augmentedBatches(data.train, { batchSize: BATCH, seed, maxShift: o.maxShift, ...(o.affine ? { affine: o.affine } : {}) });
  const opt = adam({ lr: o.kdLr });
  const steps = Math.ceil(data.train.count / BATCH) * epochs;
  await distill(dense, m, batches, { optimizer: opt, epochs, lrSchedule: cosineLr({ initial: o.kdLr, totalSteps: steps }), loss: kdLoss({ temperature: 4, alpha: o.alpha }), hints });
  opt.dispose();
};
const m = dense.clone();
const imp = taylor();
const pruner = new Pruner(m, { importance: imp, ratio: 0, pruneHeads: true, headRatio: o.headRatio, iterativeSteps: o.headSteps });
for (let k = 0; k < o.headSteps; k++) {
  imp.accumulate(m, augmentedBatches(data.train, { batchSize: BATCH, seed: 3 + k, maxShift: 0 })(0), { maxBatches: 16 });
  pruner.step();
  console.log(`[${o.name}] head step ${k + 1}: ${acc(m)}`);
  if (k + 1 < o.headSteps) {
    await kd(m, o.kdBetween, 10 + k);
    console.log(`[${o.name}]   after KD: ${acc(m)} (${cpuS()})`);
  }
}
await kd(m, o.kdAfter, 2);
console.log(`[${o.name}] heads final ${acc(m)} (${cpuS()})`);
