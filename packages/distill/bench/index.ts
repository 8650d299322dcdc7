/**
 * @bonsai/distill benchmark on real MNIST (wasm backend):
 * 1. a ~1/8-size smallCnn student trained with KD from a smallCnn teacher vs from labels alone;
 * 2. KD fine-tuning vs plain fine-tuning after emulated 80% structured pruning.
 * Students are data-starved (small training subset, few epochs); 3 seeds, mean ± std.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { adam, initBackend, load, save, train, type Model } from '@bonsai/core';
import { loadMnist, toTensors, type MnistSplit } from '@bonsai/datasets';
import { smallCnn } from '@bonsai/models';
import { distill, kdLoss, kdLossSpec } from '@bonsai/distill';
import { shrinkSmallCnn } from './shrink';
import { accuracy, countParams, mean, pct, printTable, secondsSince } from './stats';

const SEEDS = [1, 2, 3];
const TEACHER = { widths: [32, 64], hidden: 128, epochs: 3, batchSize: 64, lr: 2e-3 };
const STUDENT = { widths: [8, 16], hidden: 64, subset: 1000, epochs: 10, batchSize: 32, lr: 3e-3, kd: { temperature: 4, alpha: 0.9 } };
const PRUNE = { keep: 0.2, subset: 500, epochs: 6, batchSize: 32, lr: 3e-3, kd: { temperature: 2, alpha: 0.5 } };

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
  const mnist = loadMnist({ seed: 42 });
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
  const teacherAcc = accuracy(teacher, test.x, test.y);
  console.log(`teacher ready in ${secondsSince(tt)} s: ${(100 * teacherAcc).toFixed(2)}% test accuracy`);

  // 1. Small student from labels vs with KD.
  const small = subset(mnist.train, STUDENT.subset);
  const fromLabels: number[] = [];
  const withKd: number[] = [];
  let studentParams = 0;
  const t1 = performance.now();
  for (const seed of SEEDS) {
    for (const kd of [false, true]) {
      const student = smallCnn({ widths: STUDENT.widths, hidden: STUDENT.hidden, dropout: 0, seed });
      studentParams = countParams(student);
      const optimizer = adam({ lr: STUDENT.lr });
      const common = { epochs: STUDENT.epochs, batchSize: STUDENT.batchSize, optimizer, seed };
      if (kd) await distill(teacher, student, small, { ...common, loss: kdLoss(STUDENT.kd), cacheTeacher: true });
      else await train(student, small, common);
      optimizer.dispose();
      (kd ? withKd : fromLabels).push(accuracy(student, test.x, test.y));
      student.dispose();
    }
  }
  const part1 = secondsSince(t1);
  const teacherParams = countParams(teacher);
  printTable(`Small student (smallCnn ${STUDENT.widths.join('-')}, hidden ${STUDENT.hidden}: ${studentParams} params = 1/${(teacherParams / studentParams).toFixed(1)} of the teacher's ${teacherParams}), ${STUDENT.subset} training digits, ${STUDENT.epochs} epochs, test accuracy % over seeds ${SEEDS.join(', ')}`, [
    { training: 'labels only (cross-entropy)', accuracy: pct(fromLabels), 'per seed': fromLabels.map((a) => (100 * a).toFixed(2)).join(', ') },
    { training: `KD (T=${STUDENT.kd.temperature}, alpha=${STUDENT.kd.alpha})`, accuracy: pct(withKd), 'per seed': withKd.map((a) => (100 * a).toFixed(2)).join(', ') },
    { training: 'teacher (smallCnn, 8000 digits)', accuracy: (100 * teacherAcc).toFixed(2), 'per seed': '-' },
  ]);
  console.log(`\nKD - labels: ${(100 * (mean(withKd) - mean(fromLabels))).toFixed(2)} points (KD wins on ${withKd.filter((a, i) => a > fromLabels[i]!).length}/${SEEDS.length} seeds); ${part1} s`);

  // 2. Emulated 80% structured pruning, then fine-tuning with or without KD.
  const ftData = subset(mnist.train, PRUNE.subset);
  const t2 = performance.now();
  const plain: number[] = [];
  const kdFt: number[] = [];
  const pruned0: number[] = [];
  let prunedParams = 0;
  for (const seed of SEEDS) {
    for (const kd of [false, true]) {
      const pruned: Model = shrinkSmallCnn(teacher, { widths: TEACHER.widths, hidden: TEACHER.hidden, keep: PRUNE.keep, seed });
      prunedParams = countParams(pruned);
      if (!kd) pruned0.push(accuracy(pruned, test.x, test.y));
      const optimizer = adam({ lr: PRUNE.lr });
      await train(pruned, ftData, {
        epochs: PRUNE.epochs, batchSize: PRUNE.batchSize, optimizer, seed, ...(kd ? { loss: kdLossSpec(teacher, PRUNE.kd) } : {}),
      });
      optimizer.dispose();
      (kd ? kdFt : plain).push(accuracy(pruned, test.x, test.y));
      pruned.dispose();
    }
  }
  const part2 = secondsSince(t2);
  printTable(`Fine-tuning after emulated 80% structured pruning (smallCnn at ${PRUNE.keep * 100}% channels, ${prunedParams} params), ${PRUNE.subset} digits, ${PRUNE.epochs} epochs, test accuracy %`, [
    { model: 'teacher (unpruned)', accuracy: (100 * teacherAcc).toFixed(2), recovered: '-' },
    { model: 'pruned, no fine-tuning', accuracy: pct(pruned0), recovered: '-' },
    { model: 'pruned + plain fine-tuning', accuracy: pct(plain), recovered: `${(100 * (mean(plain) - mean(pruned0))).toFixed(2)} points` },
    { model: `pruned + KD fine-tuning (kdLossSpec, T=${PRUNE.kd.temperature}, alpha=${PRUNE.kd.alpha})`, accuracy: pct(kdFt), recovered: `${(100 * (mean(kdFt) - mean(pruned0))).toFixed(2)} points` },
  ]);
  console.log(`\nKD fine-tuning - plain fine-tuning: ${(100 * (mean(kdFt) - mean(plain))).toFixed(2)} points (KD wins on ${kdFt.filter((a, i) => a > plain[i]!).length}/${SEEDS.length} seeds); ${part2} s`);

  tf.dispose([full.x, full.y, test.x, test.y, small.x, small.y, ftData.x, ftData.y]);
  teacher.dispose();
  console.log(`\ntotal ${secondsSince(t0)} s, ${tf.memory().numTensors} tensors left`);
}

await main();
