// Tries a `bonsai demo` training configuration on real MNIST (8000/2000) before it becomes the
// default: epochs, peak LR (cosine with warm-up), batch size, random-shift augmentation, widths.
// One run per call, against the built packages; prints per-epoch test accuracy, wall and CPU time:
//   tsx bench/demo-schedule.ts '{"epochs":5,"lr":4e-3,"shift":2}'
// Round 4 (core with the fast batch-norm / max-pool / reduction gradients; shared 2-core machine at
// load 17-20, ~37 s of CPU per epoch): test accuracy after each epoch, cosine with 5% warm-up:
//   5 epochs, 3e-3                  95.90 97.65 98.10 98.40 98.35
//   5 epochs, 3e-3, shift 2         96.40 97.60 97.45 97.90 98.20
//   5 epochs, 5e-3, dropout 0.1     96.50 97.05 97.90 98.15 98.25
// The demo itself with 6 epochs at 3e-3 (bonsai demo, bench-results/demo.json): 96.45 97.20 98.15 98.15 98.60 98.65
// (212.8 s of training on the idle machine, ~35 s per epoch).
// Round 5 (shared Identity, no conv1 input gradient, one-pass Adam; load 12-23, so only the CPU
// seconds mean something; round 4's idle demo ran at ~0.96x of the CPU seconds measured loaded):
//   widths        epochs  lr    dropout  accuracy per epoch                 CPU s
//   16-32         4       4e-3  0.2      96.00 97.85 98.05 98.10            136.2
//   12-24         5       4e-3  0.2      96.40 97.30 98.05 98.35 98.55      125.4
//   12-24         4       4e-3  0.2      96.85 98.30 98.25 98.55            106.4
//   12-24         4       5e-3  0.1      97.00 97.75 98.15 98.30            107.5
//   8-24          5       4e-3  0.2      96.50 97.90 98.05 98.35 98.45       99.2
// 16-32 at ~34 CPU s per epoch cannot do the >= 5 epochs it needs within 2 minutes; 12-24 (~161k
// params, ~26 CPU s per epoch) reached 98.55% here in 4 and 5 epochs, but the CLI itself (its own
// data order and seeds: `bonsai demo --epochs N` with widths 12-24) reached 96.45 97.80 97.95 98.20
// in 4 epochs and 96.45 97.95 97.80 98.25 98.40 in 5 (one seed each; one standard error on 2000
// digits is 0.27 pt). So the demo keeps 16-32 for 6 epochs at 3e-3 (98.65% in round 4) and the
// 2-minute target is not met this round.
import '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { adam, cosineLr, initBackend, recalibrateBatchNorm, train, type Batch } from '@bonsai/core';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { accuracy } from '@bonsai/eval';
import { smallCnn } from '@bonsai/models';
import { createRng, shuffledIndices } from '@bonsai/core';
import { trainParallel } from '@bonsai/parallel';

// workers: trainParallel threads (1 = core's train()); val: the last `val` digits of the train
// split are held out and measured instead of the test split (0 = test split); smooth: label smoothing.
interface Config { epochs: number; lr: number; batch: number; shift: number; warmup: number; widths: number[]; hidden: number; dropout: number; min: number; seed: number; workers: number; val: number; smooth: number }
const c: Config = { epochs: 5, lr: 3e-3, batch: 64, shift: 0, warmup: 0.05, widths: [16, 32], hidden: 128, dropout: 0.2, min: 0.01, seed: 0, workers: 1, val: 1000, smooth: 0, ...JSON.parse(process.argv[2] ?? '{}') };

await initBackend('wasm');
const all = loadMnist({ seed: 42 });
const size = 784;
const keep = all.train.count - c.val;
const data = c.val === 0 ? all : {
  train: { ...all.train, images: all.train.images.subarray(0, keep * size), labels: all.train.labels.subarray(0, keep), count: keep },
  test: { ...all.train, images: all.train.images.subarray(keep * size), labels: all.train.labels.subarray(keep), count: c.val },
};
function* epoch(e: number): Generator<Batch> {
  const order = shuffledIndices(data.train.count, 42 + c.seed + e);
  const rng = createRng(1000 + e);
  for (let s = 0; s < order.length; s += c.batch) {
    const idx = order.subarray(s, Math.min(order.length, s + c.batch));
    const x = new Float32Array(idx.length * size);
    const y = new Float32Array(idx.length * 10);
    idx.forEach((k, i) => {
      const src = data.train.images.subarray(k * size, (k + 1) * size);
      const dx = c.shift ? Math.floor(rng() * (2 * c.shift + 1)) - c.shift : 0;
      const dy = c.shift ? Math.floor(rng() * (2 * c.shift + 1)) - c.shift : 0;
      for (let r = 0; r < 28; r++) {
        const sr = r - dy;
        if (sr < 0 || sr >= 28) continue;
        for (let q = 0; q < 28; q++) {
          const sq = q - dx;
          if (sq >= 0 && sq < 28) x[i * size + r * 28 + q] = src[sr * 28 + sq]!;
        }
      }
      for (let j = 0; j < 10; j++) y[i * 10 + j] = c.smooth / 10;
      y[i * 10 + data.train.labels[k]!] += 1 - c.smooth;
    });
    yield { x: tf.tensor4d(x, [idx.length, 28, 28, 1]), y: tf.tensor2d(y, [idx.length, 10]) };
  }
}
const model = smallCnn({ widths: c.widths, hidden: c.hidden, dropout: c.dropout, seed: c.seed, bnMomentum: 0.9 });
const steps = Math.ceil(data.train.count / c.batch) * c.epochs;
const opt = adam({ lr: c.lr });
const test = toTensors(data.test);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const accs: string[] = [];
await (c.workers > 1 ? (m: typeof model, d: typeof epoch, o: Parameters<typeof train>[2]) => trainParallel(m, d, { ...o, workers: c.workers, batchSize: c.batch }) : train)(model, epoch, {
  epochs: c.epochs, optimizer: opt,
  lrSchedule: cosineLr({ initial: c.lr, totalSteps: steps, min: c.lr * c.min, warmupSteps: Math.ceil(steps * c.warmup) }),
  callbacks: [{ onEpochEnd: () => {
    const calib = toTensors({ ...data.train, images: data.train.images.subarray(0, 1024 * size), labels: data.train.labels.subarray(0, 1024), count: 1024 });
    recalibrateBatchNorm(model, [calib.x]); calib.y.dispose();
    accs.push((accuracy(model, test.x, test.y, { batchSize: 500 }) * 100).toFixed(2));
    console.error(`epoch ${accs.length}: ${accs.at(-1)}% at ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${(process.cpuUsage(cpu0).user / 1e6).toFixed(1)} s cpu`);
  } }],
});
const sec = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ config: c, seconds: +sec.toFixed(1), cpuSeconds: +(process.cpuUsage(cpu0).user / 1e6).toFixed(1), accs, final: accs.at(-1) }));
