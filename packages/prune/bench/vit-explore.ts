/**
 * Head-recipe exploration for the ViT bench (issue 14), not part of `pnpm bench`: loads the
 * cached dense ViT (`dense`, a folder saved by the bench or by `{"denseOnly": true}` runs, which
 * train it with the bench's recipe first), prunes `headRatio` of the heads in `headSteps` steps
 * (Taylor or attention-output-norm importance re-scored before each step) with KD epochs between
 * and after, prints test accuracy at every stage, and adds one row per variant to
 * `bench-results/vit-explore.json` (rows of earlier variants are kept).
 * `tsx bench/vit-explore.ts '{"name":"a","kdAfter":6,"kdLr":1e-3}'`
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { adam, cosineLr, initBackend, train, type Model } from '@bonsai/core';
import { loadMnist, toTensors, type MnistData } from '@bonsai/datasets';
import { distill, kdLoss, type HintSpec } from '@bonsai/distill';
import { accuracy } from '@bonsai/eval';
import { vit, type VitOptions } from '@bonsai/models';
import { headOutputNorm, magnitude, Pruner, taylor, TaylorImportance } from '@bonsai/prune';
import { createReport, resultsDir } from '@bonsai/bench-harness';
import { augmentedBatches, decoupledWeightDecay, smoothedCrossEntropy, trainOrLoad, type AffineJitter } from './vit-recipe';

interface ExploreOptions {
  name: string;
  dense: string;
  epochs: number;
  lr: number;
  weightDecay: number;
  labelSmoothing: number;
  affine: AffineJitter;
  model: VitOptions;
  headRatio: number;
  headSteps: number;
  headCriterion: 'taylor' | 'outputNorm';
  kdBetween: number;
  kdAfter: number;
  kdLr: number;
  alpha: number;
  hintWeight: number;
  denseOnly: boolean;
}

const BATCH = 64;
const arg = JSON.parse(process.argv[2] ?? '{}') as Partial<ExploreOptions>;
const o: ExploreOptions = {
  name: 'base', dense: '/tmp/vit/dense24', epochs: 24, lr: 2e-3, weightDecay: 0.05, labelSmoothing: 0.1, affine: { rotate: 10, scale: 0.1, shift: 2 },
  headRatio: 0.5, headSteps: 2, headCriterion: 'taylor', kdBetween: 1, kdAfter: 3, kdLr: 5e-4, alpha: 0.7, hintWeight: 0.5, denseOnly: false,
  ...arg,
  model: { patch: 7, dim: 48, depth: 2, heads: 4, mlpRatio: 2, seed: 0, ...arg.model },
};
await initBackend('wasm');
const data: MnistData = loadMnist();
const test = toTensors(data.test);
const accOf = (m: Model): number => accuracy(m, test.x, test.y, { batchSize: 500 });
const t0 = performance.now();
const c0 = process.cpuUsage();
const cpuS = (): number => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
const log = (s: string): void => console.log(`[${o.name}] ${s} (${cpuS().toFixed(0)} s CPU, ${((performance.now() - t0) / 1000).toFixed(0)} s wall)`);

const { model: dense } = await trainOrLoad(o.dense, () => vit(o.model), async (m) => {
  const opt = adam({ lr: o.lr });
  const steps = Math.ceil(data.train.count / BATCH) * o.epochs;
  await train(m, augmentedBatches(data.train, { batchSize: BATCH, seed: 1, maxShift: 2, affine: o.affine }), {
    optimizer: opt, epochs: o.epochs, loss: smoothedCrossEntropy(o.labelSmoothing),
    lrSchedule: cosineLr({ initial: o.lr, totalSteps: steps, warmupSteps: Math.ceil(steps * 0.05) }),
    callbacks: [decoupledWeightDecay(m, o.weightDecay), { onEpochEnd: (s) => log(`epoch ${s.epoch + 1}: loss ${s.epochLoss.toFixed(3)}`) }],
  });
  opt.dispose();
});
const accDense = accOf(dense);
log(`dense ${(accDense * 100).toFixed(2)}%`);
if (o.denseOnly) process.exit(0);

const hints: HintSpec[] = o.hintWeight > 0
  ? Array.from({ length: o.model.depth ?? 2 }, (_, i) => ({ teacherNode: `blk${i + 1}_add2`, studentNode: `blk${i + 1}_add2`, weight: o.hintWeight }))
  : [];
const kd = async (m: Model, epochs: number, seed: number): Promise<void> => {
  const batches = augmentedBatches(data.train, { batchSize: BATCH, seed, maxShift: 2, affine: o.affine });
  const opt = adam({ lr: o.kdLr });
  const steps = Math.ceil(data.train.count / BATCH) * epochs;
  await distill(dense, m, batches, { optimizer: opt, epochs, lrSchedule: cosineLr({ initial: o.kdLr, totalSteps: steps }), loss: kdLoss({ temperature: 4, alpha: o.alpha }), hints });
  opt.dispose();
};
const m = dense.clone();
const imp = o.headCriterion === 'taylor' ? taylor() : headOutputNorm();
const pruner = new Pruner(m, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: o.headRatio, headImportance: imp, iterativeSteps: o.headSteps });
const stages: string[] = [];
for (let k = 0; k < o.headSteps; k++) {
  imp.accumulate(m, augmentedBatches(data.train, { batchSize: BATCH, seed: 3 + k, maxShift: 0 })(0), { maxBatches: 16 });
  pruner.step();
  const heads = m.graph.nodes.filter((n) => n.attrs.numHeads !== undefined).map((n) => String(n.attrs.numHeads)).join('+');
  stages.push(`step ${k + 1} (${heads} heads) ${(accOf(m) * 100).toFixed(2)}%`);
  log(stages.at(-1)!);
  if (k + 1 < o.headSteps) {
    await kd(m, o.kdBetween, 10 + k);
    stages.push(`KD ${(accOf(m) * 100).toFixed(2)}%`);
    log(stages.at(-1)!);
  }
}
if (imp instanceof TaylorImportance) imp.dispose();
await kd(m, o.kdAfter, 2);
const accFinal = accOf(m);
log(`heads final ${(accFinal * 100).toFixed(2)}%`);

// One row per variant name in bench-results/vit-explore.json (earlier rows kept).
const file = path.join(resultsDir(), 'vit-explore.json');
const columns = ['variant', 'criterion', 'steps', 'KD epochs between / after', 'KD lr', 'alpha', 'hint weight', 'stages', 'dense', 'final', 'drop', 'CPU s', 'load'];
const old = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { tables: Array<{ rows: string[][] }> }).tables[0]?.rows ?? [] : [];
const row = [o.name, o.headCriterion, String(o.headSteps), `${o.kdBetween} / ${o.kdAfter}`, String(o.kdLr), String(o.alpha), String(o.hintWeight), stages.join(' → '), `${(accDense * 100).toFixed(2)}%`, `${(accFinal * 100).toFixed(2)}%`, `${((accDense - accFinal) * 100).toFixed(2)} pt`, cpuS().toFixed(0), os.loadavg()[0]!.toFixed(1)];
const report = createReport({ bench: 'vit-explore', settings: { dense: o.dense, headRatio: o.headRatio, kd: 'T 4, Adam cosine, random affine ±10°, ±10% scale, ±2 px; hints = MSE on every block output' } });
report.table('vit-explore', {
  title: `ViT head-recipe variants: ${o.headRatio * 100}% of heads removed from the cached dense ViT, KD fine-tuned (real MNIST 8000/2000, wasm)`,
  columns,
  rows: [...old.filter((r) => r[0] !== o.name), row],
  note: 'One row per variant run by bench/vit-explore.ts; "stages" is test accuracy after each pruning step and KD phase.',
});
report.write();
test.x.dispose();
test.y.dispose();
