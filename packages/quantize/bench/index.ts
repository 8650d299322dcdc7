/**
 * @bonsai/quantize on real MNIST (wasm backend): float smallCnn vs dynamic / static PTQ / QAT
 * int8, tfjs uint8 / float16 exports, and >= 95% magnitude pruning + int8 stored sparsely.
 * Batch-norm running statistics are re-estimated after (short) training runs.
 * Full size: smallCnn 8-8-16-16 / fc 32 on 8,000 training digits, 4 float epochs, 1 pruning fine-tune epoch (7
 * training epochs in all). Sized for the shared 2-core machine: the previous 32-64 size needed ~15 min wall per
 * epoch there (16-32: 1,018 s wall, ~140 s CPU per epoch at load 17; 8-16 on 4,000 digits for 2 epochs: 92.3%).
 * Env: BENCH_EPOCHS (default 4), BENCH_FT_EPOCHS (1), BENCH_TRAIN (8000), BENCH_TEST (2000), BENCH_SPARSITY (0.95).
 * Writes bench-results/quantize.json; smoke mode: 1 epoch on 128 digits.
 * QUANTIZE_BENCH_ONLY=mnist|real|emotion|handlandmark|emotion-steps|int8 runs one part (MNIST table; real-models.ts + real-scores.ts, or
 * one of them; int8-kernels.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { adam, backendInfo, initBackend, load, recalibrateBatchNorm, save, train } from '@bonsai/core';
import { prepareQat, prepareStatic, quantizeDynamic, saveQuantized, saveTfjsQuantized, type QuantizedModel } from '@bonsai/quantize';
import { epochBatches, loadMnist, smallCnn, toTensors } from './deps';
import { createReport, isSmoke, pick } from '@bonsai/bench-harness';
import { accuracyOf } from './helpers';
import { globalMagnitudePrune, kernelSparsity } from './prune';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const EPOCHS = env('BENCH_EPOCHS', pick(4, 1));
const FT_EPOCHS = env('BENCH_FT_EPOCHS', 1);
const WIDTHS = [8, 16];
const HIDDEN = 32;
const ARCH = `smallCnn ${WIDTHS.flatMap((w) => [w, w]).join('-')}, fc ${HIDDEN}${isSmoke() ? ' (smoke)' : ''}`;
/** Seconds since `t0` (performance.now()), one decimal. */
const since = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(1);
const SPARSITY = env('BENCH_SPARSITY', 0.95);
const ONLY = process.env.QUANTIZE_BENCH_ONLY;
if (ONLY && !['mnist', 'real', 'emotion', 'mobilenet', 'handlandmark', 'emotion-steps', 'int8'].includes(ONLY)) throw new Error(`QUANTIZE_BENCH_ONLY=${ONLY}: expected mnist, real, emotion, mobilenet, handlandmark, emotion-steps or int8`);

async function main(): Promise<void> {
  const info = await initBackend('wasm');
  const t0 = performance.now();
  const mnist = loadMnist({ trainSize: env('BENCH_TRAIN', pick(8000, 128)), testSize: env('BENCH_TEST', pick(2000, 128)) });
  const nCalib = Math.min(1000, mnist.train.count);
  const report = createReport({ bench: 'quantize', settings: { epochs: EPOCHS, sparsity: SPARSITY, train: mnist.train.count, test: mnist.test.count, calibration: nCalib, model: ARCH, fineTuneEpochs: FT_EPOCHS, optimizer: 'Adam 1e-3', batch: 64 } });
  const test = toTensors(mnist.test);
  const calib = toTensors({ ...mnist.train, count: nCalib, images: mnist.train.images.subarray(0, nCalib * 784), labels: mnist.train.labels.subarray(0, nCalib) });
  const data = epochBatches(mnist.train, { batchSize: 64, seed: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'bonsai-qbench-'));
  console.log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads}); train ${mnist.train.count}, test ${mnist.test.count}`);

  const model = smallCnn({ seed: 0, widths: WIDTHS, hidden: HIDDEN });
  for (let e = 0; e < EPOCHS; e++) {
    const te = performance.now();
    await train(model, (k) => data(e + k), { epochs: 1, optimizer: adam({ lr: 1e-3 }) });
    console.log(`float epoch ${e + 1}/${EPOCHS}: ${since(te)} s`);
  }
  const bnX = tf.slice(calib.x, 0, Math.min(500, nCalib));
  const rawAcc = accuracyOf(model, test.x, mnist.test.labels);
  recalibrateBatchNorm(model, [bnX]); // one pass over all of bnX: momentum 0
  report.note(`float accuracy ${(100 * rawAcc).toFixed(2)}% -> ${(100 * accuracyOf(model, test.x, mnist.test.labels)).toFixed(2)}% after BN re-estimation on ${Math.min(500, nCalib)} training samples`);
  const rows: Array<{ method: string; acc: number; bytes: number }> = [];
  const floatBytes = (await save(model, join(dir, 'float'))).bytes;
  const floatAcc = accuracyOf(model, test.x, mnist.test.labels);
  rows.push({ method: 'float32 (core save)', acc: floatAcc, bytes: floatBytes });

  const record = async (method: string, q: QuantizedModel, name: string): Promise<void> => {
    const { bytes } = await saveQuantized(q, join(dir, name));
    rows.push({ method, acc: accuracyOf(q, test.x, mnist.test.labels), bytes });
    q.dispose();
  };

  await record('dynamic int8 (weights only, per-channel)', quantizeDynamic(model), 'dynamic');

  for (const observer of ['minmax', 'percentile', 'mse'] as const) {
    const prepared = prepareStatic(model, { activations: { observer } });
    prepared.calibrate(calib.x, { batchSize: 250 });
    await record(`static PTQ int8 per-channel (${observer} act.)`, prepared.convert(), `static-${observer}`);
    prepared.dispose();
  }
  const pt = prepareStatic(model, { weights: { perChannel: false } });
  pt.calibrate(calib.x, { batchSize: 250 });
  await record('static PTQ int8 per-tensor (minmax act.)', pt.convert(), 'static-per-tensor');
  pt.dispose();

  let tq = performance.now();
  const qat = prepareQat(model);
  await train(qat, (k) => data(100 + k), { epochs: 1, optimizer: adam({ lr: 1e-4 }) });
  console.log(`QAT epoch: ${since(tq)} s`);
  await record('QAT int8 per-channel (1 epoch)', qat.convert(), 'qat');
  qat.dispose();

  for (const dtype of ['uint8', 'float16'] as const) {
    const sub = join(dir, `tfjs-${dtype}`);
    const { bytes } = await saveTfjsQuantized(model, sub, { dtype, params: 'all' });
    const back = await load(sub);
    rows.push({ method: `tfjs manifest ${dtype} (stock decodeWeights)`, acc: accuracyOf(back, test.x, mnist.test.labels), bytes });
    back.dispose();
  }

  // Magnitude pruning with masks + fine-tuning, then int8 stored sparsely.
  tq = performance.now();
  const pruned = model.clone();
  globalMagnitudePrune(pruned, SPARSITY);
  const prunedNoFt = accuracyOf(pruned, test.x, mnist.test.labels);
  const ftEpochs = FT_EPOCHS;
  for (let e = 0; e < ftEpochs; e++) await train(pruned, (k) => data(200 + e + k), { epochs: 1, optimizer: adam({ lr: 5e-4 }) });
  recalibrateBatchNorm(pruned, [bnX]);
  const sparsity = kernelSparsity(pruned);
  console.log(`pruned to ${(100 * sparsity).toFixed(2)}% kernel sparsity (before fine-tune ${(100 * prunedNoFt).toFixed(2)}%), fine-tuned ${ftEpochs} epochs: ${since(tq)} s`);
  rows.push({ method: `pruned ${(100 * sparsity).toFixed(1)}% float (masks, core save)`, acc: accuracyOf(pruned, test.x, mnist.test.labels), bytes: (await save(pruned, join(dir, 'pruned-float'))).bytes });
  const pp = prepareStatic(pruned);
  pp.calibrate(calib.x, { batchSize: 250 });
  await record(`pruned ${(100 * sparsity).toFixed(1)}% + static PTQ int8, sparse + deflate`, pp.convert(), 'pruned-static');
  pp.dispose();
  tq = performance.now();
  const pq = prepareQat(pruned);
  await train(pq, (k) => data(300 + k), { epochs: 1, optimizer: adam({ lr: 1e-4 }) });
  console.log(`pruned QAT epoch: ${since(tq)} s`);
  await record(`pruned ${(100 * sparsity).toFixed(1)}% + QAT int8, sparse + deflate`, pq.convert(), 'pruned-qat');
  pq.dispose();
  pruned.dispose();

  report.table('quantize', {
    title: `${ARCH}, ${EPOCHS} float epochs, MNIST ${mnist.train.count}/${mnist.test.count}, total ${since(t0)} s wall, ${(process.cpuUsage().user / 1e6).toFixed(0)} s CPU`,
    columns: ['method', 'accuracy', 'delta (pp)', 'file bytes', 'ratio vs float'],
    rows: rows.map((r) => [r.method, `${(100 * r.acc).toFixed(2)}%`, (100 * (r.acc - floatAcc)).toFixed(2), r.bytes, `${(floatBytes / r.bytes).toFixed(2)}x`]),
    note: 'Note: these rows measure accuracy and file size; the simulated int8 path runs dequantized float32 math (no faster than float). For int8 speed, `enableIntegerKernels` runs int8 layers on @bonsai/int8-kernels (bench-results/int8-kernels.json).',
  });
  console.log(`backend: ${backendInfo().name}`);
  model.dispose();
  tf.dispose([test.x, test.y, calib.x, calib.y, bnX]);
  await rm(dir, { recursive: true, force: true });
  report.write();
}

if (!ONLY || ONLY === 'mnist') await main();
// Real pretrained GraphModel + real photos: CLE, bias correction, KL calibration (bench-results/real-models.json).
if (!ONLY || ONLY === 'real' || ONLY === 'emotion') await import('./real-models');
// Real pretrained Keras MobileNetV2 classifier (nsfwjs) + real photos: issue 17's steps side by side (bench-results/real-models-mobilenet.json).
if (!ONLY || ONLY === 'real' || ONLY === 'mobilenet') await import('./real-models-mobilenet');
// Real pretrained MobileNetV2-class GraphModel with ReLU6 and regression/score outputs (bench-results/real-scores.json).
if (!ONLY || ONLY === 'real' || ONLY === 'handlandmark') await import('./real-scores');
// Where the emotion model's int8 error is (bench-results/emotion-steps.json): only on request, it is slow.
if (ONLY === 'emotion-steps') await import('./emotion-steps');
// int8 WASM kernels vs float vs int8 simulated, SIMD128 and relaxed SIMD (bench-results/int8-kernels.json).
if (!ONLY || ONLY === 'int8') await import('./int8-kernels');
