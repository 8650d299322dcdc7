/**
 * The measurement of bench/int8-kernels.ts, free of Node APIs so that the same code runs in Node
 * and in headless Chromium (bench/int8-chromium-page.ts): per model and batch, float (tfjs wasm,
 * XNNPACK), the int8 simulation and the int8 kernels, interleaved round by round, timed by the
 * given clocks after a full GC (the simulation's garbage is not collected in the kernels' timing);
 * plus how the kernels' exact integers compare with the simulation's outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Model } from '@bonsai/core';
import type { Int8Kernels } from '@bonsai/int8-kernels';
import { mobileNet, resnet20, smallCnn, vit } from '@bonsai/models';
import { median } from '@bonsai/bench-harness';
import { prepareStatic, type QuantizedModel, type QuantizeOptions } from '../src/index';

/** One bench model. */
export interface Int8BenchSpec {
  name: string;
  make: () => Model;
  shape: number[];
  /** Quantization options (default: prepareStatic's). */
  quantize?: QuantizeOptions;
}

/** The bench's models: small CNN, ResNet-20, a MobileNet-style net, a ViT (smoke: a tiny CNN); `only` keeps names containing one of its comma-separated parts. */
export function int8BenchSpecs(smoke: boolean, only?: string): Int8BenchSpec[] {
  const all = specsOf(smoke);
  const parts = only?.split(',').filter((p) => p !== '') ?? [];
  return parts.length === 0 ? all : all.filter((s) => parts.some((p) => s.name.includes(p)));
}

function specsOf(smoke: boolean): Int8BenchSpec[] {
  if (smoke) return [{ name: 'smallCnn 8-16, fc 32 (smoke)', make: () => smallCnn({ seed: 1, widths: [8, 16], hidden: 32 }), shape: [28, 28, 1] }];
  return [
    { name: 'smallCnn 32-64, fc 128 (28x28x1)', make: () => smallCnn({ seed: 1 }), shape: [28, 28, 1] },
    { name: 'ResNet-20 (32x32x3)', make: () => resnet20({ seed: 2, inputShape: [32, 32, 3] }), shape: [32, 32, 3] },
    { name: 'MobileNet-style 32-64-128-256 (64x64x3)', make: () => mobileNet({ seed: 3, widths: [32, 64, 128, 256], strides: [1, 2, 2, 2], inputShape: [64, 64, 3] }), shape: [64, 64, 3] },
    // The ViT of the models bench (16 tokens of 48 dims, 2 blocks of 4 heads), default per-channel
    // weights (Q / K / V scales per output column).
    { name: 'ViT patch 7, dim 48, 2 blocks, 4 heads (28x28x1)', make: () => vit({ seed: 4, patch: 7, dim: 48, depth: 2, heads: 4 }), shape: [28, 28, 1] },
  ];
}

/** Gives every batch norm seeded non-trivial statistics (so that quantization grids are not degenerate). */
export function randomizeBn(model: Model, seed: number): void {
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

/** One measured model x batch: medians per variant and per-round ratios, for each clock. */
export interface Int8BenchRow {
  model: string;
  batch: number;
  /** The int8 build, e.g. 'simd128' or 'relaxed dot-add'. */
  build: string;
  /** Median ms per clock and variant. */
  times: Record<string, { float: number; simulated: number; int8: number }>;
  /** Medians of per-round ratios float / int8 and simulated / int8, per clock. */
  speedup: Record<string, { float: number; simulated: number }>;
  agreement: number;
  maxSteps: number;
  int8Layers: string;
}

/** Options of {@link measureInt8}. */
export interface MeasureOptions {
  kernels: Int8Kernels;
  specs: readonly Int8BenchSpec[];
  batches: readonly number[];
  runs: number;
  warmup?: number;
  /** Named clocks in ms (e.g. wall: performance.now, cpu: process.cpuUsage). */
  clocks: Record<string, () => number>;
  /** A full garbage collection, run before every timed call (so that no variant pays for another's garbage). */
  gc?: () => void;
  log?: (line: string) => void;
}

type Variant = 'float' | 'simulated' | 'int8';

/** Measures every spec at every batch size, interleaving the three variants round by round. */
export function measureInt8(o: MeasureOptions): Int8BenchRow[] {
  const rows: Int8BenchRow[] = [];
  const warmup = o.warmup ?? 2;
  const build = o.kernels.relaxedGemm ? `${o.kernels.variant} ${o.kernels.relaxedGemm}` : o.kernels.variant;
  for (const [i, s] of o.specs.entries()) {
    const model = s.make();
    randomizeBn(model, 10 + i);
    const calib = tf.randomUniform([32, ...s.shape], 0, 1, 'float32', 20 + i);
    const prepared = prepareStatic(model, s.quantize);
    prepared.calibrate(calib, { batchSize: 32 });
    const q = prepared.convert();
    prepared.dispose();
    const simulated: QuantizedModel = q.clone();
    const plan = q.useIntegerKernels(o.kernels)!;
    const steps = plan.describe();
    const quantizable = steps.filter((st) => st.kind === 'int8' || st.reason !== undefined).length;
    const models: Record<Variant, Model> = { float: model, simulated, int8: q };
    for (const batch of o.batches) {
      const x = tf.randomUniform([batch, ...s.shape], 0, 1, 'float32', 30 + batch);
      const samples: Record<string, Record<Variant, number[]>> = Object.fromEntries(Object.keys(o.clocks).map((c) => [c, { float: [], simulated: [], int8: [] }]));
      for (let round = 0; round < warmup + o.runs; round++) {
        for (const v of ['float', 'simulated', 'int8'] as const) {
          o.gc?.();
          const t0 = Object.fromEntries(Object.entries(o.clocks).map(([c, f]) => [c, f()]));
          const y = models[v].forward(x);
          y.dataSync();
          y.dispose();
          if (round >= warmup) for (const [c, f] of Object.entries(o.clocks)) samples[c]![v].push(f() - t0[c]!);
        }
      }
      const ratio = (c: string, num: Variant): number => median(samples[c]![num].map((t, r) => t / samples[c]!.int8[r]!));
      // Exact integer kernels vs the simulation's float-rounded sums, on the output grid.
      const a = tf.tidy(() => q.forward(x).dataSync() as Float32Array);
      const b = tf.tidy(() => simulated.forward(x).dataSync() as Float32Array);
      const step = q.activationQParams.get(q.graph.outputs[0]!)?.scale[0] ?? 1;
      const classes = a.length / batch;
      let agree = 0;
      let maxSteps = 0;
      for (let r = 0; r < batch; r++) {
        const argmax = (v: Float32Array): number => v.subarray(r * classes, (r + 1) * classes).reduce((best, val, j, arr) => (val > arr[best]! ? j : best), 0);
        if (argmax(a) === argmax(b)) agree++;
      }
      for (let j = 0; j < a.length; j++) maxSteps = Math.max(maxSteps, Math.round(Math.abs(a[j]! - b[j]!) / step));
      const clocks = Object.keys(o.clocks);
      rows.push({
        model: s.name,
        batch,
        build,
        times: Object.fromEntries(clocks.map((c) => [c, { float: median(samples[c]!.float), simulated: median(samples[c]!.simulated), int8: median(samples[c]!.int8) }])),
        speedup: Object.fromEntries(clocks.map((c) => [c, { float: ratio(c, 'float'), simulated: ratio(c, 'simulated') }])),
        agreement: agree / batch,
        maxSteps,
        int8Layers: `${plan.int8Layers}/${quantizable}`,
      });
      x.dispose();
      const c0 = clocks[0]!;
      o.log?.(`${build} ${s.name} batch ${batch} (${c0}): float ${median(samples[c0]!.float).toFixed(2)} ms, simulated ${median(samples[c0]!.simulated).toFixed(2)} ms, int8 ${median(samples[c0]!.int8).toFixed(2)} ms`);
    }
    for (const m of [model, q, simulated]) m.dispose();
    calib.dispose();
  }
  return rows;
}
