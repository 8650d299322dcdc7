/**
 * @bonsai/core bench: training throughput of core's `train()` against tfjs-layers' `fit()` on the
 * same networks, data, batch size and backend, plus conv-gradient timings. Prints Markdown.
 * Run after building: `pnpm --filter @bonsai/models... --filter @bonsai/datasets... build && pnpm bench`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { timeConvGrad, type ConvCase } from './conv-grad';
import { loadDeps, type Core, type Model } from './deps';
import { layersMlp, layersSmallCnn } from './layers-nets';
import { num, rate, ratio, table } from './report';
import { coreTrainer, interleaved, layersTrainer, type RunOptions, type Throughput } from './throughput';

const BATCH = 64;
const QUICK = Boolean(process.env.BONSAI_BENCH_QUICK);
const FULL = QUICK ? 512 : 2048;
/**
 * tfjs' cpu backend computes conv gradients with naive loops (~8 s for one 28x28 32->32 layer at
 * batch 4 here), so a batch-64 smallCnn step with tfjs-layers on cpu takes minutes: the cpu CNN
 * row uses one small batch per epoch instead.
 */
const CPU_CNN_BATCH = 8;

interface Workload {
  title: string;
  backend: 'wasm' | 'cpu';
  samples: number;
  run: RunOptions;
  core: () => Model;
  layers: () => tfl.Sequential;
}

interface Outcome {
  w: Workload;
  core: Throughput;
  layers: Throughput;
  params: [number, number];
}

async function main(): Promise<void> {
  const { core, models, datasets } = await loadDeps();
  const mnist = datasets.loadMnist({ trainSize: FULL, testSize: 0 });
  console.log('# @bonsai/core bench: core train() vs tfjs-layers fit()\n');
  console.log(`Node ${process.version}, tfjs ${tf.version_core}; real MNIST (@bonsai/datasets), Adam 1e-3, softmax cross-entropy, identical architectures (same parameter count).`);
  console.log('samples/s = samples per epoch / median epoch wall time, after one warm-up epoch; epochs of the two trainers alternate. Ratio = core ÷ tfjs-layers (> 1: core is faster).\n');

  const workloads: Workload[] = [
    { title: 'smallCnn 32-64 (MNIST)', backend: 'wasm', samples: FULL, run: { warmup: 1, epochs: 3, batchSize: BATCH }, core: () => models.smallCnn(), layers: () => layersSmallCnn() },
    { title: 'smallCnn 32-64 (MNIST, 1 batch/epoch)', backend: 'cpu', samples: CPU_CNN_BATCH, run: { warmup: 1, epochs: 2, batchSize: CPU_CNN_BATCH }, core: () => models.smallCnn(), layers: () => layersSmallCnn() },
    { title: 'MLP 300-100 (MNIST)', backend: 'wasm', samples: FULL, run: { warmup: 1, epochs: 3, batchSize: BATCH }, core: () => models.mlp300100(), layers: () => layersMlp() },
    { title: 'MLP 300-100 (MNIST)', backend: 'cpu', samples: FULL / 2, run: { warmup: 1, epochs: 3, batchSize: BATCH }, core: () => models.mlp300100(), layers: () => layersMlp() },
  ];
  const outcomes: Outcome[] = [];
  for (const w of workloads) outcomes.push(await runWorkload(core, w, mnist.train));

  console.log('## Summary\n');
  console.log(table(
    ['workload', 'backend', 'samples', 'batch', 'core samples/s', 'tfjs-layers samples/s', 'core ÷ layers'],
    outcomes.map((o) => [o.w.title, o.w.backend, String(o.w.samples), String(o.w.run.batchSize), rate(o.core.samplesPerSec), o.layers.error ? `fails: ${o.layers.error}` : rate(o.layers.samplesPerSec), o.layers.error || o.core.error ? '—' : ratio(o.core.samplesPerSec / o.layers.samplesPerSec)]),
  ));
  const cnn = outcomes[0]!;
  if (cnn.layers.error) {
    console.log('\ntfjs-layers cannot train convs on wasm (missing Conv2DBackpropFilter, tfjs issue #8474); core can, through its own conv gradients. The cpu rows compare both on the same (slow) backend.');
  }
  console.log('');
  await convGradSection(core);
}

async function runWorkload(core: Core, w: Workload, split: { images: Float32Array; labels: Uint8Array; count: number }): Promise<Outcome> {
  await core.initBackend(w.backend);
  const n = Math.min(w.samples, split.count);
  const x = tf.tensor4d(split.images.subarray(0, n * 784), [n, 28, 28, 1]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from(split.labels.subarray(0, n)), 'int32'), 10), 'float32'));
  const model = w.core();
  const net = w.layers();
  const params: [number, number] = [[...model.params.values()].reduce((a, p) => a + p.size, 0), net.countParams()];
  const trainers = [coreTrainer(core, model, x, y, w.run.batchSize), layersTrainer(net, x, y, w.run.batchSize)];
  const [coreRun, layersRun] = (await interleaved(trainers, n, w.run)) as [Throughput, Throughput];
  trainers.forEach((t) => t.dispose());
  model.dispose();
  net.dispose();
  tf.dispose([x, y]);

  console.log(`## ${w.title}, ${w.backend}, ${n} samples, batch ${w.run.batchSize}, ${w.run.epochs} timed epochs\n`);
  const row = (name: string, p: number, t: Throughput): string[] => [
    name, num(p), t.error ? `fails: ${t.error}` : rate(t.samplesPerSec), t.epochMs.map((ms) => num(ms / 1000, 2)).join(' / ') || '—', Number.isFinite(t.lastLoss) ? t.lastLoss.toFixed(4) : '—',
  ];
  console.log(table(['trainer', 'params', 'samples/s (median)', 'epoch s', 'last epoch loss'], [row('@bonsai/core train()', params[0], coreRun), row('tfjs-layers fit()', params[1], layersRun)]));
  if (!coreRun.error && !layersRun.error) console.log(`\ncore ÷ tfjs-layers: **${ratio(coreRun.samplesPerSec / layersRun.samplesPerSec)}**`);
  console.log('');
  return { w, core: coreRun, layers: layersRun, params };
}

async function convGradSection(core: Core): Promise<void> {
  const batch = 4;
  const runs = 3;
  const cases: ConvCase[] = [
    { name: 'conv1 28x28 1->32', batch, hw: 28, cin: 1, cout: 32 },
    { name: 'conv2 28x28 32->32', batch, hw: 28, cin: 32, cout: 32 },
    { name: 'conv3 14x14 32->64', batch, hw: 14, cin: 32, cout: 64 },
    { name: 'conv4 14x14 64->64', batch, hw: 14, cin: 64, cout: 64 },
  ];
  type Cell = number | string;
  const wasm: Array<[Cell, Cell]> = [];
  const cpu: Array<[Cell, Cell]> = [];
  await core.initBackend('wasm');
  for (const c of cases) wasm.push([timeConvGrad(core, c, 'core', { warmup: 1, runs }), timeConvGrad(core, c, 'native', { warmup: 0, runs: 1 })]);
  await core.initBackend('cpu');
  // The cpu backend has no compile or packing step to warm up; its native conv gradients are slow, so one run each.
  for (const c of cases) cpu.push([timeConvGrad(core, c, 'core', { warmup: 0, runs: 1 }), timeConvGrad(core, c, 'native', { warmup: 0, runs: 1 })]);
  const fmt = (v: Cell): string => (typeof v === 'number' ? num(v, 1) : `fails: ${v}`);
  const div = (a: Cell, b: Cell): string => (typeof a === 'number' && typeof b === 'number' ? ratio(a / b) : '—');
  const rows = cases.map((c, i) => {
    const [wCore, wNative] = wasm[i]!;
    const [cCore, cNative] = cpu[i]!;
    return [c.name, fmt(wCore), fmt(wNative), fmt(cCore), fmt(cNative), div(cNative, cCore), div(cNative, wCore)];
  });
  console.log(`## Conv gradient (informational): forward + dx + dfilter, batch ${batch}, 3x3 same, ms (wasm: median of ${runs} after a warm-up; cpu: one run)\n`);
  console.log(table(['layer', 'wasm: core conv', 'wasm: tf.conv2d', 'cpu: core conv', 'cpu: tf.conv2d (native grads)', 'cpu native ÷ cpu core', 'cpu native ÷ wasm core'], rows));
  console.log('\nRatios > 1: core\'s conv gradient is faster than the cpu backend\'s native one.');
}

await main();
