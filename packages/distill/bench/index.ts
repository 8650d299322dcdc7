/**
 * @bonsai/distill benchmark on real MNIST (wasm backend):
 * 1. a ~1/8-size smallCnn student trained with KD from a smallCnn teacher vs from labels alone;
 * 2. KD fine-tuning vs plain fine-tuning after 80% structured pruning with @bonsai/prune's Pruner
 *    (imported from its built dist by path: not a dependency of @bonsai/distill).
 * Students are data-starved (small training subset, few epochs); several seeds, mean ± std.
 * DISTILL_BENCH_TEACHER=<dir> caches the teacher; DISTILL_BENCH_ONLY=kd|prune runs one part.
 * Writes bench-results/distill.json; smoke mode: one seed, one epoch, a few hundred digits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { adam, initBackend, load, recalibrateBatchNorm, save, train, type Model } from '@bonsai/core';
import { loadMnist, toTensors, type MnistSplit } from '@bonsai/datasets';
import { accuracy, countParams } from '@bonsai/eval';
import { smallCnn } from '@bonsai/models';
import { distill, kdLoss, kdLossSpec } from '@bonsai/distill';
import { createReport, fromRecords, isSmoke, mean, pick, std, type Cell, type Report } from '@bonsai/bench-harness';
import { pruneCopy } from './prune-kd';

/** `mean ± std` of accuracies in percent. */
const pct = (xs: readonly number[]): string => `${(100 * mean(xs)).toFixed(2)} ± ${(100 * std(xs)).toFixed(2)}`;
/** Seconds since `t0` (from performance.now()), one decimal. */
const secondsSince = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(1);

const SMOKE = isSmoke();
const SEEDS = pick([1, 2, 3], [1]);
const TEACHER = { widths: pick([32, 64], [16, 32]), hidden: pick(128, 64), epochs: pick(3, 1), batchSize: 64, lr: 2e-3 };
const STUDENT = { widths: [8, 16], hidden: 64, subset: pick(1000, 128), epochs: pick(10, 1), batchSize: 32, lr: 3e-3, kd: { temperature: 4, alpha: 0.9 } };
const PRUNE = { ratio: 0.8, batchSize: 32, lr: 3e-3, kd: { temperature: 4, alpha: 0.9 }, seeds: pick([1, 2, 3, 4, 5], [1]) };
/** Fine-tune budgets of part 2 (both reported; same number of optimizer steps). */
const PRUNE_DATA = pick([{ subset: 500, epochs: 6 }, { subset: 1000, epochs: 3 }], [{ subset: 128, epochs: 1 }]);
const ONLY = process.env.DISTILL_BENCH_ONLY;

type Data = { x: tf.Tensor; y: tf.Tensor };

function subset(split: MnistSplit, n: number): { x: tf.Tensor; y: tf.Tensor } {
  const full = toTensors(split);
  const x = tf.slice(full.x, [0], [n]);
  const y = tf.slice(full.y, [0], [n]);
  tf.dispose([full.x, full.y]);
  return { x, y };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const info = await initBackend('wasm');
  console.log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads})`);
  const mnist = loadMnist({ seed: 42, ...(SMOKE ? { trainSize: 128, testSize: 128 } : {}) });
  const report = createReport({ bench: 'distill', settings: { seeds: SEEDS, teacher: TEACHER, student: STUDENT, prune: PRUNE, pruneData: PRUNE_DATA, train: mnist.train.count, test: mnist.test.count } });
  const full = toTensors(mnist.train);
  const test = toTensors(mnist.test);

  // Teacher: smallCnn on all 8000 training digits. Set DISTILL_BENCH_TEACHER=<dir> to reuse one
  // across runs (trained and saved there on the first run).
  const cache = process.env.DISTILL_BENCH_TEACHER;
  const tt = performance.now();
  let teacher: Model;
  if (cache && existsSync(`${cache}/model.json`)) {
    teacher = await load(cache);
    console.log(`teacher loaded from ${cache}`);
  } else {
    teacher = smallCnn({ widths: TEACHER.widths, hidden: TEACHER.hidden, dropout: 0, seed: 0 });
    const opt = adam({ lr: TEACHER.lr });
    await train(teacher, full, { epochs: TEACHER.epochs, batchSize: TEACHER.batchSize, optimizer: opt, seed: 0 });
    opt.dispose();
    if (cache) await save(teacher, cache);
  }
  const teacherAcc = accuracy(teacher, test.x, test.y, { batchSize: 500 });
  console.log(`teacher ready in ${secondsSince(tt)} s: ${(100 * teacherAcc).toFixed(2)}% test accuracy`);

  if (ONLY !== 'prune') await smallStudent(report, teacher, mnist.train, test, teacherAcc);
  if (ONLY !== 'kd') for (const budget of PRUNE_DATA) await pruneFineTune(report, teacher, mnist.train, test, teacherAcc, budget);

  tf.dispose([full.x, full.y, test.x, test.y]);
  teacher.dispose();
  console.log(`total ${secondsSince(t0)} s, ${tf.memory().numTensors} tensors left`);
  report.write();
}

/** A table of records, printed and recorded. */
function table(report: Report, id: string, title: string, records: Array<Record<string, Cell>>): void {
  report.table(id, { title, ...fromRecords(records) });
}

/** `x` in slices of `size` along the batch axis (the caller disposes them). */
function batchesOf(x: tf.Tensor, size: number): tf.Tensor[] {
  const n = x.shape[0]!;
  const out: tf.Tensor[] = [];
  for (let i = 0; i < n; i += size) out.push(tf.slice(x, [i], [Math.min(size, n - i)]));
  return out;
}

/** 1. Small student from labels vs with KD. */
async function smallStudent(report: Report, teacher: Model, train_: MnistSplit, test: Data, teacherAcc: number): Promise<void> {
  const small = subset(train_, STUDENT.subset);
  const fromLabels: number[] = [];
  const withKd: number[] = [];
  let studentParams = 0;
  const t1 = performance.now();
  for (const seed of SEEDS) {
    for (const kd of [false, true]) {
      const student = smallCnn({ widths: STUDENT.widths, hidden: STUDENT.hidden, dropout: 0, seed });
      studentParams = countParams(student, { trainableOnly: true });
      const optimizer = adam({ lr: STUDENT.lr });
      const common = { epochs: STUDENT.epochs, batchSize: STUDENT.batchSize, optimizer, seed };
      if (kd) await distill(teacher, student, small, { ...common, loss: kdLoss(STUDENT.kd), cacheTeacher: true });
      else await train(student, small, common);
      optimizer.dispose();
      (kd ? withKd : fromLabels).push(accuracy(student, test.x, test.y, { batchSize: 500 }));
      student.dispose();
    }
  }
  const part1 = secondsSince(t1);
  const teacherParams = countParams(teacher, { trainableOnly: true });
  table(report, 'student', `Small student (smallCnn ${STUDENT.widths.join('-')}, hidden ${STUDENT.hidden}: ${studentParams} params = 1/${(teacherParams / studentParams).toFixed(1)} of the teacher's ${teacherParams}), ${STUDENT.subset} training digits, ${STUDENT.epochs} epochs, test accuracy % over seeds ${SEEDS.join(', ')}`, [
    { training: 'labels only (cross-entropy)', accuracy: pct(fromLabels), 'per seed': fromLabels.map((a) => (100 * a).toFixed(2)).join(', ') },
    { training: `KD (T=${STUDENT.kd.temperature}, alpha=${STUDENT.kd.alpha})`, accuracy: pct(withKd), 'per seed': withKd.map((a) => (100 * a).toFixed(2)).join(', ') },
    { training: `teacher (smallCnn, ${train_.count} digits)`, accuracy: (100 * teacherAcc).toFixed(2), 'per seed': '-' },
  ]);
  report.note(`KD - labels: ${(100 * (mean(withKd) - mean(fromLabels))).toFixed(2)} points (KD wins on ${withKd.filter((a, i) => a > fromLabels[i]!).length}/${SEEDS.length} seeds); ${part1} s`);

  tf.dispose([small.x, small.y]);
}

/** 2. 80% structured pruning (real Pruner), then fine-tuning with plain cross-entropy vs KD. */
async function pruneFineTune(report: Report, teacher: Model, train_: MnistSplit, test: Data, teacherAcc: number, budget: { subset: number; epochs: number }): Promise<void> {
  const ftData = subset(train_, budget.subset);
  const t2 = performance.now();
  // One pruned model (L1 magnitude is deterministic); every seed/arm fine-tunes its own clone.
  const base = pruneCopy(teacher, PRUNE.ratio);
  const prunedParams = countParams(base, { trainableOnly: true });
  const prunedRaw = accuracy(base, test.x, test.y, { batchSize: 500 });
  const bnBatches = batchesOf(ftData.x, 250);
  recalibrateBatchNorm(base, bnBatches); // BN statistics on the fine-tune digits (both arms start here; core's update_bn-style re-estimation)
  tf.dispose(bnBatches);
  const prunedBn = accuracy(base, test.x, test.y, { batchSize: 500 });
  const plain: number[] = [];
  const kdFt: number[] = [];
  for (const seed of PRUNE.seeds) {
    for (const kd of [false, true]) {
      const pruned = base.clone();
      const optimizer = adam({ lr: PRUNE.lr });
      await train(pruned, ftData, {
        epochs: budget.epochs, batchSize: PRUNE.batchSize, optimizer, seed, ...(kd ? { loss: kdLossSpec(teacher, PRUNE.kd) } : {}),
      });
      optimizer.dispose();
      (kd ? kdFt : plain).push(accuracy(pruned, test.x, test.y, { batchSize: 500 }));
      pruned.dispose();
    }
  }
  base.dispose();
  tf.dispose([ftData.x, ftData.y]);
  const part2 = secondsSince(t2);
  const teacherParams = countParams(teacher, { trainableOnly: true });
  const seeds = (xs: number[]) => xs.map((a) => (100 * a).toFixed(2)).join(', ');
  table(report, `prune-kd-${budget.subset}x${budget.epochs}`, `Fine-tuning after ${PRUNE.ratio * 100}% structured pruning (@bonsai/prune Pruner, magnitude p=1, per group: ${prunedParams} of ${teacherParams} params), ${budget.subset} digits, ${budget.epochs} epochs, Adam ${PRUNE.lr}, batch ${PRUNE.batchSize}, test accuracy % over seeds ${PRUNE.seeds.join(', ')}`, [
    { model: 'teacher (unpruned)', accuracy: (100 * teacherAcc).toFixed(2), 'per seed': '-' },
    { model: 'pruned, no fine-tuning', accuracy: (100 * prunedRaw).toFixed(2), 'per seed': '-' },
    { model: `pruned, BN statistics re-estimated on the ${budget.subset} digits`, accuracy: (100 * prunedBn).toFixed(2), 'per seed': '-' },
    { model: 'pruned + plain fine-tuning', accuracy: pct(plain), 'per seed': seeds(plain) },
    { model: `pruned + KD fine-tuning (kdLossSpec, T=${PRUNE.kd.temperature}, alpha=${PRUNE.kd.alpha})`, accuracy: pct(kdFt), 'per seed': seeds(kdFt) },
  ]);
  const wins = kdFt.filter((a, i) => a > plain[i]!).length;
  const ties = kdFt.filter((a, i) => a === plain[i]!).length;
  report.note(`KD fine-tuning - plain fine-tuning: ${(100 * (mean(kdFt) - mean(plain))).toFixed(2)} points (KD wins on ${wins}/${PRUNE.seeds.length} seeds${ties ? `, ${ties} ties` : ''}); ${part2} s`);
}

await main();
