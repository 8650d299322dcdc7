/**
 * @bonsai/parallel bench: training throughput (samples/s) of smallCnn 16-32 and 32-64 at batch
 * 64 — core's `train()` on the main thread, `trainParallel` with 1 and 2 workers — epochs
 * interleaved (core, 1 worker, 2 workers, core, ...) so load changes hit all alike; then PyTorch
 * 1.13 at 1 and 2 threads (core's torch_bench.py). Writes bench-results/parallel.json.
 * Smoke mode (BONSAI_BENCH_SMOKE=1): smallCnn 16-32 only, core train() and 2 workers,
 * 64 samples (one batch), one epoch (pool start included).
 * Run after building: `pnpm --filter @bonsai/parallel... --filter @bonsai/models build && pnpm bench parallel`.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { adam, createRng, initBackend, normal, train } from '@bonsai/core';
import { smallCnn } from '@bonsai/models';
import { type Cell, createReport, interleave, num, pick, rate, ratio, spread } from '@bonsai/bench-harness';
import { trainParallel } from '../src/index';
import { pausedTraining, type PausedTraining } from './paused-training';
import { torchThroughput } from './torch-threads';

const BATCH = 64;
const SAMPLES = pick(1024, 64);
const WARMUP = pick(1, 0);
const RUNS = pick(3, 1);
const NETS = [
  { name: 'smallCnn 16-32', widths: [16, 32] },
  { name: 'smallCnn 32-64', widths: [32, 64] },
].slice(0, pick(2, 1));
const TRAINERS = { core: 'core train()', w1: 'trainParallel, 1 worker', w2: 'trainParallel, 2 workers' } as const;
type TrainerKey = keyof typeof TRAINERS;
const THREADS: Record<TrainerKey, number> = { core: 1, w1: 1, w2: 2 };
/** Smoke mode leaves out the 1-worker run (one pool start less; the same code as 2 workers). */
const KEYS: TrainerKey[] = pick(['core', 'w1', 'w2'], ['core', 'w2']);

function randomData(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const rng = createRng(5);
  const x = tf.tensor4d(Float32Array.from({ length: n * 784 }, () => normal(rng)), [n, 28, 28, 1]);
  const labels = tf.tensor1d(Int32Array.from({ length: n }, () => Math.floor(rng() * 10)), 'int32');
  const y = tf.tidy(() => tf.cast(tf.oneHot(labels, 10), 'float32'));
  labels.dispose();
  return { x, y };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const report = createReport({ bench: 'parallel', settings: { batch: BATCH, samplesPerEpoch: SAMPLES, warmupEpochs: WARMUP, timedEpochs: RUNS, optimizer: 'adam 1e-3', data: 'random 28x28x1, 10 classes' } });
  console.log(`# @bonsai/parallel bench (load ${loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
  const rows: Cell[][] = [];
  const measured: Record<string, Record<TrainerKey, { samplesPerSec: number; cpuMsPerSample: number; vsCore: string }>> = {};
  for (const net of NETS) {
    const data = randomData(SAMPLES);
    const epochs = WARMUP + RUNS;
    const runs = {} as Record<TrainerKey, PausedTraining>;
    const optimizers = KEYS.map(() => adam());
    const models = KEYS.map((k, i) => {
      const model = smallCnn({ widths: net.widths });
      const o = { epochs, batchSize: BATCH, optimizer: optimizers[i]! };
      runs[k] = pausedTraining((gate) => (k === 'core' ? train(model, data, { ...o, callbacks: [gate] }) : trainParallel(model, data, { ...o, workers: THREADS[k], callbacks: [gate] })));
      return model;
    });
    const cpu: Record<TrainerKey, number[]> = { core: [], w1: [], w2: [] };
    const timed = (k: TrainerKey) => async () => {
      const c0 = process.cpuUsage();
      await runs[k].epoch();
      const c = process.cpuUsage(c0);
      cpu[k].push((c.user + c.system) / 1000);
    };
    const t = await interleave(Object.fromEntries(KEYS.map((k) => [k, timed(k)])) as Record<TrainerKey, () => Promise<void>>, { warmup: WARMUP, runs: RUNS });
    await Promise.all(Object.values(runs).map((r) => r.finish()));
    measured[net.name] = {} as Record<TrainerKey, { samplesPerSec: number; cpuMsPerSample: number; vsCore: string }>;
    for (const k of KEYS) {
      const cpuTimed = cpu[k].slice(WARMUP);
      measured[net.name]![k] = {
        samplesPerSec: SAMPLES / (t.variants[k].median / 1000),
        cpuMsPerSample: cpuTimed.reduce((a, b) => a + b, 0) / cpuTimed.length / SAMPLES,
        vsCore: k === 'core' ? '1.00x' : spread(t.ratio('core', k)),
      };
    }
    models.forEach((m) => m.dispose());
    optimizers.forEach((o) => o.dispose());
    tf.dispose([data.x, data.y]);
  }
  const torch = torchThroughput({ nets: NETS, threads: [1, 2], train: { samples: pick(2048, 64), batch: BATCH, warmup: pick(1, 0), epochs: pick(3, 1) } });
  report.settings({ pytorch: torch.ok ? `torch ${torch.version}, torch.set_num_threads(1) and (2), core's torch_bench.py` : `skipped: ${torch.reason}` });
  if (!torch.ok) report.note(`PyTorch columns skipped: ${torch.reason}.`);
  for (const net of NETS) {
    for (const k of KEYS) {
      const m = measured[net.name]![k];
      const anchor = torch.ok ? torch.samplesPerSec[net.name]?.[String(THREADS[k])] : undefined;
      rows.push([net.name, TRAINERS[k], THREADS[k], rate(m.samplesPerSec), m.vsCore, anchor ? ratio(m.samplesPerSec / anchor) : 'n/a', num(m.cpuMsPerSample, 2)]);
    }
    if (torch.ok) for (const th of [1, 2]) rows.push([net.name, `PyTorch, ${th} thread${th > 1 ? 's' : ''}`, th, rate(torch.samplesPerSec[net.name]![String(th)]!), '', '', '']);
  }
  report.table('parallel', {
    title: `training throughput, batch ${BATCH} (samples/s, median of ${RUNS} interleaved epochs of ${SAMPLES})`,
    columns: ['net', 'trainer', 'threads', 'samples/s', 'speed ÷ core train() (paired)', '÷ PyTorch, same threads', 'CPU ms / sample (all threads)'],
    rows,
    note: 'PyTorch runs after the JS timings, in its own process. CPU time is the whole process (main thread + workers); the main thread idles in Atomics.waitAsync while the workers compute.',
  });
  report.write();
}

await main();
