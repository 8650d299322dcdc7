import * as tf from '@tensorflow/tfjs-core';
import { adam, train, type Model } from '@bonsai/core';
import { agp, fineTune, gradualPruning, nmStructured, remove, sparsityReport, formatSparsityReport } from '@bonsai/prune';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { accuracy } from '@bonsai/eval';
import { mlp300100 } from '@bonsai/models';
import { createReport, fromRecords, isSmoke, kib, ms, pct, pick } from '@bonsai/bench-harness';
import { fileSize, pairedLatencyMs } from './util';

/** Settings of the LeNet-300-100 gradual-magnitude-pruning run. */
export interface LenetAgpConfig {
  denseEpochs: number;
  pruneEpochs: number;
  /** Epochs (of `pruneEpochs`) over which sparsity ramps up; the rest fine-tunes at the final sparsity. */
  rampEpochs: number;
  finalSparsity: number;
  global: boolean;
  frequency: number;
  batchSize: number;
  lr: number;
  fineTuneLr: number;
  /** Fine-tuning epochs after 2:4 masking. */
  nmEpochs: number;
}

/** Defaults: 10 dense epochs, then 12 epochs of AGP (ramp over 7) to 96% with a global threshold. */
export const LENET_AGP: LenetAgpConfig = {
  denseEpochs: 10,
  pruneEpochs: 12,
  rampEpochs: 7,
  finalSparsity: 0.96,
  global: true,
  frequency: 25,
  batchSize: 64,
  lr: 1e-3,
  fineTuneLr: 1e-3,
  nmEpochs: 3,
};

/** Smoke mode: one epoch per phase. */
export const LENET_AGP_SMOKE: LenetAgpConfig = { ...LENET_AGP, denseEpochs: 1, pruneEpochs: 1, rampEpochs: 1, frequency: 2, nmEpochs: 1 };

/**
 * Trains LeNet-300-100 (mlp300100) densely on the real MNIST digits of the `mnist` package
 * (8000 train / 2000 test), then prunes it with AGP while fine-tuning; prints accuracy before
 * and after, weights removed, file sizes and a latency sanity check.
 */
export async function runLenetAgp(cfg: LenetAgpConfig = pick(LENET_AGP, LENET_AGP_SMOKE)): Promise<{ dense: number; pruned: number; removed: number }> {
  const data = loadMnist({ seed: 42, ...(isSmoke() ? { trainSize: 512, testSize: 256 } : {}) });
  const rep = createReport({ bench: 'lenet-agp', settings: { ...cfg, train: data.train.count, test: data.test.count } });
  const printTable = (id: string, title: string, records: Array<Record<string, string | number>>): void => void rep.table(id, { title, ...fromRecords(records) });
  const trainT = toTensors(data.train);
  const testT = toTensors(data.test);
  const model: Model = mlp300100({ seed: 0 });

  const t0 = performance.now();
  await train(model, trainT, { epochs: cfg.denseEpochs, batchSize: cfg.batchSize, optimizer: adam({ lr: cfg.lr }), seed: 1 });
  const denseSecs = (performance.now() - t0) / 1000;
  const denseAcc = accuracy(model, testT.x, testT.y, { batchSize: 500 });
  const denseFile = await fileSize(model);
  const dense = model.clone();

  const stepsPerEpoch = Math.ceil(data.train.count / cfg.batchSize);
  const schedule = agp({ initialSparsity: 0, finalSparsity: cfg.finalSparsity, beginStep: 0, endStep: cfg.rampEpochs * stepsPerEpoch, frequency: cfg.frequency });
  const pruning = gradualPruning({ schedule, global: cfg.global });
  const t1 = performance.now();
  await fineTune(model, trainT, { epochs: cfg.pruneEpochs, lr: cfg.fineTuneLr, batchSize: cfg.batchSize, callbacks: [pruning], seed: 2 });
  const pruneSecs = (performance.now() - t1) / 1000;
  const prunedAcc = accuracy(model, testT.x, testT.y, { batchSize: 500 });
  const report = sparsityReport(model);
  const all = sparsityReport(model, { params: 'all' });
  const maskedFile = await fileSize(model);
  remove(model);
  const bakedAcc = accuracy(model, testT.x, testT.y, { batchSize: 500 });
  const bakedFile = await fileSize(model);
  const probe = tf.slice(testT.x, 0, 256);
  const [denseMs, prunedMs] = (await pairedLatencyMs(dense, model, probe, pick(21, 3)));

  rep.note(`LeNet-300-100 on MNIST (${data.train.count} train / ${data.test.count} test, wasm): dense ${cfg.denseEpochs} epochs Adam ${cfg.lr} (${denseSecs.toFixed(0)} s), ` +
    `then AGP 0 -> ${pct(cfg.finalSparsity, 0)} (${cfg.global ? 'global' : 'per-layer'} magnitude, ramp ${cfg.rampEpochs} epochs, every ${cfg.frequency} steps) ` +
    `while fine-tuning ${cfg.pruneEpochs} epochs, Adam ${cfg.fineTuneLr} cosine (${pruneSecs.toFixed(0)} s).`);
  console.log(`${formatSparsityReport(report, 'LeNet-300-100 after AGP: sparsity per layer (kernels)')}\n`);
  const drop = denseAcc - bakedAcc;
  printTable('agp', 'LeNet-300-100: gradual magnitude pruning (AGP)', [
    { model: 'dense', 'test acc': pct(denseAcc), 'weights removed': pct(0), 'params removed (incl. biases)': pct(0), 'file (raw)': kib(denseFile.bytes), 'file (gzip)': kib(denseFile.gzip), 'latency b=256 (ms)': ms(denseMs) },
    { model: 'AGP, masked', 'test acc': pct(prunedAcc), 'weights removed': pct(report.total.sparsity), 'params removed (incl. biases)': pct(all.total.sparsity), 'file (raw)': kib(maskedFile.bytes), 'file (gzip)': kib(maskedFile.gzip), 'latency b=256 (ms)': '-' },
    { model: 'AGP, remove()d', 'test acc': pct(bakedAcc), 'weights removed': pct(report.total.sparsity), 'params removed (incl. biases)': pct(all.total.sparsity), 'file (raw)': kib(bakedFile.bytes), 'file (gzip)': kib(bakedFile.gzip), 'latency b=256 (ms)': ms(prunedMs) },
  ]);
  printTable('agp-ratios', 'LeNet-300-100: ratios (pruned / dense)', [
    { 'accuracy drop (points)': (100 * drop).toFixed(2), 'target <= 0.30 at >= 95% removed': drop <= 0.003 && report.total.sparsity >= 0.95 ? 'met' : 'MISSED',
      'raw file': (bakedFile.bytes / denseFile.bytes).toFixed(3), 'gzip file': (bakedFile.gzip / denseFile.gzip).toFixed(3), latency: (prunedMs / denseMs).toFixed(2) },
  ]);
  rep.note('Notes: masks are saved as a second (bool, 1 byte per weight) tensor, so a masked model file is ~1.25x the dense one until remove() bakes the masks; ' +
    'the raw float32 file of a baked model keeps its size (zeros are stored), only compression (gzip) shows the sparsity. ' +
    'The wasm backend has no sparse kernels, so latency does not improve.');

  // N:M: 2:4 masks on the dense model (one shot), then a short fine-tune.
  nmStructured(dense, { n: 2, m: 4 });
  const nmOneShot = accuracy(dense, testT.x, testT.y, { batchSize: 500 });
  await fineTune(dense, trainT, { epochs: cfg.nmEpochs, lr: cfg.fineTuneLr / 2, batchSize: cfg.batchSize, seed: 3 });
  const nmTuned = accuracy(dense, testT.x, testT.y, { batchSize: 500 });
  printTable('nm', 'LeNet-300-100: 2:4 semi-structured masks (nmStructured)', [
    { model: 'dense', 'test acc': pct(denseAcc), 'weights removed': pct(0) },
    { model: '2:4 one-shot', 'test acc': pct(nmOneShot), 'weights removed': pct(sparsityReport(dense).total.sparsity) },
    { model: `2:4 + ${cfg.nmEpochs} epochs fine-tune`, 'test acc': pct(nmTuned), 'weights removed': pct(sparsityReport(dense).total.sparsity) },
  ]);
  [trainT.x, trainT.y, testT.x, testT.y, probe].forEach((t) => t.dispose());
  model.dispose();
  dense.dispose();
  rep.write();
  return { dense: denseAcc, pruned: bakedAcc, removed: report.total.sparsity };
}
