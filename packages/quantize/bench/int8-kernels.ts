/**
 * int8 kernels vs float, side by side (bench-results/int8-kernels.json): for a small CNN,
 * ResNet-20 and a MobileNet-style net at batch 1 and 32, interleaved in one process:
 * float (tfjs wasm, XNNPACK), int8 simulated (QuantizedModel's fake-quant float path) and int8
 * on @bonsai/int8-kernels. The SIMD128 build runs in this process; the relaxed-SIMD build in a
 * child Node process started with --experimental-wasm-relaxed-simd (same models, same seeds).
 * Speed does not depend on training: models are seeded, BN statistics randomized, calibration
 * on random inputs. Also reports how often the kernels' exact integer result differs from the
 * simulation's float-rounded one (top-1 agreement, max |diff| in output grid steps).
 * Smoke: small CNN only, batch 1, 3 rounds.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, initBackend, type Model } from '@bonsai/core';
import { loadInt8Kernels, type KernelVariant } from '@bonsai/int8-kernels';
import { mobileNet, resnet20, smallCnn } from '@bonsai/models';
import { prepareStatic, type QuantizedModel } from '@bonsai/quantize';
import { createReport, interleave, median, ms, pick, ratio, spread } from '@bonsai/bench-harness';
import { cpus, loadavg } from 'node:os';

const CHILD = process.env.BONSAI_INT8_BENCH_CHILD as KernelVariant | undefined;
const RUNS = Number(process.env.BENCH_RUNS ?? pick(15, 3));

interface Spec {
  name: string;
  make: () => Model;
  shape: number[];
}

const specs: Spec[] = pick(
  [
    { name: 'smallCnn 32-64, fc 128 (28x28x1)', make: () => smallCnn({ seed: 1 }), shape: [28, 28, 1] },
    { name: 'ResNet-20 (32x32x3)', make: () => resnet20({ seed: 2, inputShape: [32, 32, 3] }), shape: [32, 32, 3] },
    { name: 'MobileNet-style 32-64-128-256 (64x64x3)', make: () => mobileNet({ seed: 3, widths: [32, 64, 128, 256], strides: [1, 2, 2, 2], inputShape: [64, 64, 3] }), shape: [64, 64, 3] },
  ],
  [{ name: 'smallCnn 8-16, fc 32 (smoke)', make: () => smallCnn({ seed: 1, widths: [8, 16], hidden: 32 }), shape: [28, 28, 1] }],
);
const BATCHES = pick([1, 32], [1]);

/** Gives every batch norm seeded non-trivial statistics (so that quantization grids are not degenerate). */
function randomizeBn(model: Model, seed: number): void {
  const rng = createRng(seed);
  for (const node of model.graph.nodes) {
    for (const [role, f] of [['gamma', () => 0.5 + rng()], ['beta', () => rng() - 0.5], ['movingMean', () => 0.4 * (rng() - 0.5)], ['movingVariance', () => 0.2 + rng()]] as const) {
      const p = node.op === 'batchNorm' ? model.param(node.id, role) : undefined;
      if (!p) continue;
      const t = tf.tensor(Array.from({ length: p.size }, f), p.shape);
      p.assign(t);
      t.dispose();
    }
  }
}

interface Row {
  model: string;
  batch: number;
  variant: KernelVariant;
  floatMs: number;
  simulatedMs: number;
  int8Ms: number;
  floatCpu: number;
  simulatedCpu: number;
  int8Cpu: number;
  int8VsFloatCpu: string;
  int8VsSimulatedCpu: string;
  int8VsFloat: string;
  int8VsSimulated: string;
  simulatedVsFloat: string;
  agreement: number;
  maxSteps: number;
  int8Layers: string;
}

async function measure(variant: KernelVariant): Promise<Row[]> {
  await initBackend('wasm');
  const kernels = await loadInt8Kernels({ variant });
  const rows: Row[] = [];
  for (const [i, s] of specs.entries()) {
    const model = s.make();
    randomizeBn(model, 10 + i);
    const calib = tf.randomUniform([32, ...s.shape], 0, 1, 'float32', 20 + i);
    const prepared = prepareStatic(model);
    prepared.calibrate(calib, { batchSize: 32 });
    const q = prepared.convert();
    prepared.dispose();
    const simulated: QuantizedModel = q.clone();
    const plan = q.useIntegerKernels(kernels)!;
    const steps = plan.describe();
    const quantizable = steps.filter((st) => st.kind === 'int8' || st.reason !== undefined).length;
    for (const batch of BATCHES) {
      const x = tf.randomUniform([batch, ...s.shape], 0, 1, 'float32', 30 + batch);
      // CPU time of this (single-threaded) process per call, next to the wall time interleave takes:
      // on a loaded shared machine it is the steadier measure.
      const cpu: Record<'float' | 'simulated' | 'int8', number[]> = { float: [], simulated: [], int8: [] };
      const run = (m: Model, key: keyof typeof cpu) => () => {
        const c0 = process.cpuUsage();
        const y = m.forward(x);
        y.dataSync();
        y.dispose();
        const d = process.cpuUsage(c0);
        cpu[key].push((d.user + d.system) / 1000);
      };
      const WARMUP = 2;
      const t = await interleave({ float: run(model, 'float'), simulated: run(simulated, 'simulated'), int8: run(q, 'int8') }, { warmup: WARMUP, runs: RUNS });
      const cpuMedian = (k: keyof typeof cpu): number => median(cpu[k].slice(WARMUP));
      const cpuRatio = (num: keyof typeof cpu, den: keyof typeof cpu): string => ratio(median(cpu[num].slice(WARMUP).map((v, r) => v / cpu[den][WARMUP + r]!)));
      // Exact integer kernels vs the simulation's float-rounded sums, on the output grid.
      const a = tf.tidy(() => q.forward(x).dataSync() as Float32Array);
      const b = tf.tidy(() => simulated.forward(x).dataSync() as Float32Array);
      const step = q.activationQParams.get(q.graph.outputs[0]!)?.scale[0] ?? 1;
      const classes = a.length / batch;
      let agree = 0;
      let maxSteps = 0;
      for (let r = 0; r < batch; r++) {
        const argmax = (v: Float32Array) => v.subarray(r * classes, (r + 1) * classes).reduce((best, val, j, arr) => (val > arr[best]! ? j : best), 0);
        if (argmax(a) === argmax(b)) agree++;
      }
      for (let j = 0; j < a.length; j++) maxSteps = Math.max(maxSteps, Math.round(Math.abs(a[j]! - b[j]!) / step));
      rows.push({
        model: s.name,
        batch,
        variant,
        floatMs: t.variants.float.median,
        simulatedMs: t.variants.simulated.median,
        int8Ms: t.variants.int8.median,
        floatCpu: cpuMedian('float'),
        simulatedCpu: cpuMedian('simulated'),
        int8Cpu: cpuMedian('int8'),
        int8VsFloatCpu: cpuRatio('float', 'int8'),
        int8VsSimulatedCpu: cpuRatio('simulated', 'int8'),
        int8VsFloat: spread(t.ratio('float', 'int8')),
        int8VsSimulated: spread(t.ratio('simulated', 'int8')),
        simulatedVsFloat: spread(t.ratio('float', 'simulated')),
        agreement: agree / batch,
        maxSteps,
        int8Layers: `${plan.int8Layers}/${quantizable}`,
      });
      x.dispose();
      console.log(`${variant} ${s.name} batch ${batch}: CPU float ${ms(cpuMedian('float'))} ms, simulated ${ms(cpuMedian('simulated'))} ms, int8 ${ms(cpuMedian('int8'))} ms`);
    }
    for (const m of [model, q, simulated]) m.dispose();
    calib.dispose();
  }
  return rows;
}

if (CHILD) {
  const rows = await measure(CHILD);
  process.stdout.write(`\nINT8-ROWS ${JSON.stringify(rows)}\n`);
} else {
  const t0 = performance.now();
  const load0 = loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const rows = await measure('simd128');
  const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, BONSAI_INT8_BENCH_CHILD: 'relaxed' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (child.status !== 0) throw new Error(`relaxed-SIMD child failed (${child.status}): ${child.stderr}`);
  const line = child.stdout.split('\n').find((l) => l.startsWith('INT8-ROWS '));
  if (!line) throw new Error(`relaxed-SIMD child printed no rows: ${child.stdout.slice(-2000)}`);
  rows.push(...(JSON.parse(line.slice('INT8-ROWS '.length)) as Row[]));
  const cpu = process.cpuUsage(cpu0);
  const report = createReport({
    bench: 'int8-kernels',
    settings: { batches: BATCHES, runs: RUNS, models: specs.map((s) => s.name), node: process.version, cores: cpus().length, loadBefore: load0, loadAfter: loadavg()[0] },
  });
  report.table('int8-kernels', {
    title: `CPU time per inference on Node ${process.version} wasm (1 thread), median of ${RUNS} interleaved rounds; speedups are medians of per-round ratios`,
    columns: ['model', 'batch', 'int8 build', 'float CPU ms', 'int8 simulated CPU ms', 'int8 kernels CPU ms', 'int8 kernels vs float', 'int8 kernels vs simulated', 'int8 layers', 'top-1 = simulated', 'max |diff| (steps)'],
    rows: rows.map((r) => [r.model, r.batch, r.variant, ms(r.floatCpu), ms(r.simulatedCpu), ms(r.int8Cpu), r.int8VsFloatCpu, r.int8VsSimulatedCpu, r.int8Layers, `${(100 * r.agreement).toFixed(0)}%`, r.maxSteps]),
    note: 'CPU time of the benchmarking process (process.cpuUsage), robust to the load of a shared machine; wall times in table int8-kernels-wall.',
  });
  report.table('int8-kernels-wall', {
    title: 'Wall time of the same runs (median ms; speedups: medians of per-round ratios, IQR)',
    columns: ['model', 'batch', 'int8 build', 'float ms', 'int8 simulated ms', 'int8 kernels ms', 'int8 kernels vs float', 'int8 kernels vs simulated', 'simulated vs float'],
    rows: rows.map((r) => [r.model, r.batch, r.variant, ms(r.floatMs), ms(r.simulatedMs), ms(r.int8Ms), r.int8VsFloat, r.int8VsSimulated, r.simulatedVsFloat]),
    note: `Load average ${load0.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (shared machine); parent CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${((performance.now() - t0) / 1000).toFixed(1)} s wall. "relaxed" rows ran in a child process with --experimental-wasm-relaxed-simd; each process measures its own float baseline.`,
  });
  report.write();
}
