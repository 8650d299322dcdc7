/**
 * @bonsai/core bench: training throughput of core's `train()` against tfjs-layers' `fit()` (and
 * PyTorch, single thread, where `/usr/bin/python3` imports torch) on the same networks, data and
 * batch size; inference latency against tfjs-layers' `predict()` and PyTorch; conv-gradient
 * timings. Writes bench-results/throughput.json (CORE_BENCH_ONLY=inference: only the inference table, to
 * bench-results/inference.json; CORE_BENCH_ONLY=training: only the wasm smallCnn training rows; CORE_BENCH_ONLY=step: only
 * the training-step savings table, to bench-results/training-step.json). Smoke mode (BONSAI_BENCH_SMOKE=1): tiny sizes.
 * Run after building: `pnpm --filter @bonsai/models... --filter @bonsai/datasets... build && pnpm bench`.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createReport, isSmoke, ms, num, pick, rate, ratio, spread, type Cell, type Report } from '@bonsai/bench-harness';
import { convKernelSection, filterGradSection, timeConvGrad, type ConvCase } from './conv-grad';
import { loadDeps, type Core, type Model, type Models } from './deps';
import { inferenceLatency } from './inference';
import { layersMlp, layersSmallCnn } from './layers-nets';
import { coreTrainer, interleaved, layersTrainer, type RunOptions, type Throughput } from './throughput';
import { stepSavingsSection } from './step-savings';
import { runTorch, type TorchNet, type TorchResult } from './torch';

const BATCH = 64;
const SMOKE = isSmoke();
const FULL = pick(2048, 64);
const RUN: RunOptions = pick({ warmup: 1, epochs: 3, batchSize: BATCH }, { warmup: 0, epochs: 1, batchSize: BATCH });
/**
 * tfjs' cpu backend computes conv gradients with naive loops (~8 s for one 28x28 32->32 layer at
 * batch 4 here), so a batch-64 smallCnn step with tfjs-layers on cpu takes minutes: the cpu CNN
 * row uses one small batch per epoch instead (and is left out in smoke mode).
 */
const CPU_CNN_BATCH = 8;
/** The smallCnn widths of issue 15's training and inference targets. */
const CNNS: TorchNet[] = [
  { name: 'smallCnn 16-32', widths: [16, 32] },
  { name: 'smallCnn 32-64', widths: [32, 64] },
].slice(0, pick(2, 1));

interface Workload {
  title: string;
  /** Name of the PyTorch net with the same architecture, if any. */
  torch?: string;
  backend: 'wasm' | 'cpu';
  samples: number;
  run: RunOptions;
  core: () => Model;
  layers: () => tfl.Sequential;
}

interface Outcome {
  w: Workload;
  n: number;
  core: Throughput;
  layers: Throughput;
  params: [number, number];
}

function workloads(models: Models): Workload[] {
  const cnn = (c: TorchNet): Workload => ({ title: `${c.name} (MNIST)`, torch: c.name, backend: 'wasm', samples: FULL, run: RUN, core: () => models.smallCnn({ widths: c.widths }), layers: () => layersSmallCnn({ widths: c.widths }) });
  const mlp = (backend: 'wasm' | 'cpu', samples: number): Workload => ({ title: 'MLP 300-100 (MNIST)', backend, samples, run: RUN, core: () => models.mlp300100(), layers: () => layersMlp() });
  return [
    ...CNNS.map(cnn),
    ...(SMOKE ? [] : [{ title: 'smallCnn 32-64 (MNIST, 1 batch/epoch)', backend: 'cpu' as const, samples: CPU_CNN_BATCH, run: { warmup: 1, epochs: 2, batchSize: CPU_CNN_BATCH }, core: () => models.smallCnn(), layers: () => layersSmallCnn() }]),
    mlp('wasm', FULL),
    ...(SMOKE ? [] : [mlp('cpu', FULL / 2)]),
  ];
}

/** `CORE_BENCH_ONLY=inference`: only the inference table (and PyTorch's inference), into bench-results/inference.json. */
const ONLY = process.env.CORE_BENCH_ONLY;

async function inferenceOnly(): Promise<void> {
  const { core, models } = await loadDeps();
  const report = createReport({ bench: 'inference', settings: { batches: [1, BATCH] } });
  console.log('# @bonsai/core bench: inference only (core forward vs tfjs-layers predict vs PyTorch)\n');
  const torch = runTorch({ nets: CNNS, inference: { batches: [1, BATCH], runs: pick(50, 5) } });
  report.settings({ pytorch: torch.ok ? `torch ${torch.version}, torch.set_num_threads(1), random inputs of the same shape` : `skipped: ${torch.reason}` });
  if (!torch.ok) report.note(`PyTorch column skipped: ${torch.reason}.`);
  await inferenceSection(core, models, report, torch);
  report.write();
}

/** `CORE_BENCH_ONLY=step`: only the training-step savings and per-layer filter-gradient tables, into bench-results/training-step.json. */
async function stepOnly(): Promise<void> {
  const { core, models } = await loadDeps();
  const report = createReport({ bench: 'training-step', settings: { optimizer: 'Adam 1e-3', data: 'random inputs, one fixed batch' } });
  console.log('# @bonsai/core bench: training-step savings (interleaved, CPU time)\n');
  await stepSavingsSection(core, models, report, CNNS);
  await filterGradSection(core, report);
  report.note(`Load average at the end: ${loadavg().map((v) => v.toFixed(1)).join(' / ')}.`);
  report.write();
}

async function main(): Promise<void> {
  if (ONLY === 'inference') return inferenceOnly();
  if (ONLY === 'step') return stepOnly();
  // `CORE_BENCH_ONLY=training`: only the wasm smallCnn training rows (and PyTorch's training), into bench-results/throughput.json.
  const trainingOnly = ONLY === 'training';
  const { core, models, datasets } = await loadDeps();
  const report = createReport({ bench: 'throughput', settings: { batch: BATCH, samples: FULL, ...RUN, optimizer: 'Adam 1e-3', data: 'real MNIST (@bonsai/datasets)' } });
  const mnist = datasets.loadMnist({ trainSize: FULL, testSize: 0 });
  console.log('# @bonsai/core bench: core train() vs tfjs-layers fit() vs PyTorch\n');
  report.note(`Node ${process.version}, tfjs ${tf.version_core}; real MNIST (@bonsai/datasets), Adam 1e-3, softmax cross-entropy, identical architectures (same parameter count). ` +
    'samples/s = samples per epoch / median epoch wall time, after one warm-up epoch; epochs of core and tfjs-layers alternate. Ratios > 1: core is faster.');

  // PyTorch first, on its own (never concurrently with the JS timings): same nets, same batch, 1 thread.
  const torch = runTorch({
    nets: CNNS,
    train: { samples: FULL, batch: BATCH, warmup: RUN.warmup, epochs: RUN.epochs },
    ...(trainingOnly ? {} : { inference: { batches: [1, BATCH], runs: pick(50, 5) } }),
  });
  report.settings({ pytorch: torch.ok ? `torch ${torch.version}, torch.set_num_threads(1), random inputs of the same shape` : `skipped: ${torch.reason}` });
  if (!torch.ok) report.note(`PyTorch column skipped: ${torch.reason}.`);

  const outcomes: Outcome[] = [];
  const chosen = workloads(models).filter((w) => !trainingOnly || (w.backend === 'wasm' && w.torch !== undefined));
  for (const w of chosen) outcomes.push(await runWorkload(core, w, mnist.train));
  trainingTables(report, outcomes, torch);
  if (trainingOnly) {
    report.note(`CORE_BENCH_ONLY=training: wasm smallCnn rows only. Load average at the end: ${loadavg().map((v) => v.toFixed(1)).join(' / ')}.`);
    report.write();
    return;
  }
  await inferenceSection(core, models, report, torch);
  await convGradSection(core, report);
  await convKernelSection(core, report);
  await stepSavingsSection(core, models, report, CNNS);
  report.write();
}

function trainingTables(report: Report, outcomes: Outcome[], torch: TorchResult): void {
  const torchRate = (o: Outcome): number => (torch.ok && o.w.torch && o.w.backend === 'wasm' ? torch.nets[o.w.torch]?.train?.samplesPerSec ?? NaN : NaN);
  report.table('training', {
    title: 'Training throughput (samples/s)',
    columns: ['workload', 'backend', 'samples', 'batch', 'core samples/s', 'tfjs-layers samples/s', 'core ÷ layers', 'PyTorch 1 thread samples/s', 'core ÷ PyTorch'],
    rows: outcomes.map((o) => [
      o.w.title, o.w.backend, String(o.n), String(o.w.run.batchSize),
      o.core.error ? `fails: ${o.core.error}` : rate(o.core.samplesPerSec),
      o.layers.error ? `fails: ${o.layers.error}` : rate(o.layers.samplesPerSec),
      o.layers.error || o.core.error ? '—' : ratio(o.core.samplesPerSec / o.layers.samplesPerSec),
      Number.isFinite(torchRate(o)) ? rate(torchRate(o)) : '—',
      Number.isFinite(torchRate(o)) && !o.core.error ? ratio(o.core.samplesPerSec / torchRate(o)) : '—',
    ]),
    note: outcomes.some((o) => o.w.backend === 'wasm' && o.layers.error)
      ? 'tfjs-layers cannot train convs on wasm (missing Conv2DBackpropFilter, tfjs issue #8474); core can, through its own conv gradients. The cpu rows compare both on the same (slow) backend.'
      : undefined,
  });
  report.table('training-epochs', {
    title: 'Training details: params, epoch wall times (s), last-epoch loss',
    columns: ['workload', 'backend', 'trainer', 'params', 'epoch s', 'last epoch loss'],
    rows: outcomes.flatMap((o) => ([['@bonsai/core train()', o.params[0], o.core], ['tfjs-layers fit()', o.params[1], o.layers]] as const).map(([name, p, t]): Cell[] => [
      o.w.title, o.w.backend, name, num(p), t.epochMs.map((v) => num(v / 1000, 2)).join(' / ') || '—', Number.isFinite(t.lastLoss) ? t.lastLoss.toFixed(4) : t.error ? `fails: ${t.error}` : '—',
    ])),
  });
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
  if (coreRun.error) throw new Error(`core train() failed on ${w.title} (${w.backend}): ${coreRun.error}`);
  console.log(`${w.title}, ${w.backend}: core ${rate(coreRun.samplesPerSec)} samples/s, tfjs-layers ${layersRun.error ? 'fails' : rate(layersRun.samplesPerSec)}`);
  return { w, n, core: coreRun, layers: layersRun, params };
}

async function inferenceSection(core: Core, models: Models, report: Report, torch: TorchResult): Promise<void> {
  await core.initBackend('wasm');
  const rows: Cell[][] = [];
  for (const c of CNNS) {
    const model = models.smallCnn({ widths: c.widths });
    const net = layersSmallCnn({ widths: c.widths });
    for (const batch of [1, BATCH]) {
      const l = await inferenceLatency(model, net, batch, { warmup: 3, runs: pick(batch === 1 ? 50 : 15, 3) });
      const pt = torch.ok ? torch.nets[c.name]?.inferenceMs?.[String(batch)] ?? NaN : NaN;
      rows.push([c.name, batch, ms(l.coreMs), ms(l.unfusedMs), ms(l.layersMs), spread(l.ratio), Number.isFinite(pt) ? ms(pt) : '—', Number.isFinite(pt) ? ratio(pt / l.coreMs) : '—']);
    }
    model.dispose();
    net.dispose();
  }
  report.table('inference', {
    title: 'Inference latency, wasm (forward + readback, median ms; core and tfjs-layers interleaved)',
    columns: ['model', 'batch', 'core ms', 'core unfused ms', 'tfjs-layers ms', 'core ÷ layers time (IQR)', 'PyTorch 1 thread ms', 'PyTorch ÷ core time'],
    rows,
    note: `Time ratios: core ÷ layers < 1 means core is faster; PyTorch ÷ core > 1 means core is faster. core fuses conv/dense + batch norm + activation at batch >= 8; "core unfused" is the same model with run(x, { fuse: false }), interleaved. Load average at the end: ${loadavg().map((v) => v.toFixed(1)).join(' / ')}.`,
  });
}

async function convGradSection(core: Core, report: Report): Promise<void> {
  const batch = 4;
  const runs = pick(3, 1);
  const cases: ConvCase[] = [
    { name: 'conv1 28x28 1->32', batch, hw: 28, cin: 1, cout: 32 },
    { name: 'conv2 28x28 32->32', batch, hw: 28, cin: 32, cout: 32 },
    { name: 'conv3 14x14 32->64', batch, hw: 14, cin: 32, cout: 64 },
    { name: 'conv4 14x14 64->64', batch, hw: 14, cin: 64, cout: 64 },
  ].slice(0, pick(4, 1));
  type Out = number | string;
  const wasm: Array<[Out, Out]> = [];
  const cpu: Array<[Out, Out]> = [];
  await core.initBackend('wasm');
  for (const c of cases) wasm.push([timeConvGrad(core, c, 'core', { warmup: 1, runs }), timeConvGrad(core, c, 'native', { warmup: 0, runs: 1 })]);
  await core.initBackend('cpu');
  // The cpu backend has no compile or packing step to warm up; its native conv gradients are slow, so one run each (skipped in smoke mode).
  for (const c of cases) cpu.push(SMOKE ? ['skipped (smoke)', 'skipped (smoke)'] : [timeConvGrad(core, c, 'core', { warmup: 0, runs: 1 }), timeConvGrad(core, c, 'native', { warmup: 0, runs: 1 })]);
  await core.initBackend('wasm');
  const fmt = (v: Out): string => (typeof v === 'number' ? num(v, 1) : v.startsWith('skipped') ? v : `fails: ${v}`);
  const div = (a: Out, b: Out): string => (typeof a === 'number' && typeof b === 'number' ? ratio(a / b) : '—');
  report.table('conv-grad', {
    title: `Conv gradient (informational): forward + dx + dfilter, batch ${batch}, 3x3 same, ms (wasm: median of ${runs} after a warm-up; cpu: one run)`,
    columns: ['layer', 'wasm: core conv', 'wasm: tf.conv2d', 'cpu: core conv', 'cpu: tf.conv2d (native grads)', 'cpu native ÷ cpu core', 'cpu native ÷ wasm core'],
    rows: cases.map((c, i) => {
      const [wCore, wNative] = wasm[i]!;
      const [cCore, cNative] = cpu[i]!;
      return [c.name, fmt(wCore), fmt(wNative), fmt(cCore), fmt(cNative), div(cNative, cCore), div(cNative, wCore)];
    }),
    note: "Ratios > 1: core's conv gradient is faster than the cpu backend's native one.",
  });
}

await main();
