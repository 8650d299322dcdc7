import type { RecipeInput } from '../recipe';

/**
 * The demo's training schedule (one place: the recipe and `demo --help` read it): label smoothing
 * 0.1 reached 98.75% (bench-results/demo.json; 98.50% before the Winograd conv kernels); without it, with batch 128 or with 2-pixel
 * shifts, single runs stayed under 98.5%.
 */
export const DEMO_DEFAULTS = { epochs: 6, lr: 3e-3, labelSmoothing: 0.1 } as const;

/** The demo's network: smallCnn 16-32 (218k params; narrower nets fit 2 minutes but missed 98.5% in the CLI, see bench/demo-schedule.ts). */
export const DEMO_MODEL = { widths: [16, 32], hidden: 128, dropout: 0.2 } as const;

/** Options of {@link demoRecipe}. */
export interface DemoOptions {
  /** Tiny run for tests and smoke checks: 1000 training digits, 1 epoch, 500 test digits. */
  fast: boolean;
  /** Root folder of the outputs: `<out>/dense` and `<out>/compressed`. */
  out: string;
  /** Training epochs of the dense model (default `DEMO_DEFAULTS.epochs`; 1 with `fast`). */
  epochs?: number;
  /** Append the compression pipeline (structured prune 50% + KD fine-tune, int8 static PTQ). */
  compress: boolean;
  /** Worker threads of the dense training (@bonsai/parallel; default 1 = core's `train()` on the main thread; `bonsai demo` passes `min(2, cores)`). */
  workers?: number;
}

/**
 * The recipe behind `bonsai demo`: train smallCnn on real MNIST (8000/2000), evaluate and save
 * it to `<out>/dense`; then, when compression is available, prune half of the channels, fine-tune
 * with the dense model as KD teacher, quantize to int8 and save to `<out>/compressed`.
 */
export function demoRecipe(o: DemoOptions): RecipeInput {
  const epochs = o.epochs ?? (o.fast ? 1 : DEMO_DEFAULTS.epochs);
  const steps: RecipeInput['steps'] = [
    // No per-epoch test accuracy (it would add ~15% to the 2-minute budget): the eval step measures.
    { type: 'train', epochs, lr: o.fast ? 2e-3 : DEMO_DEFAULTS.lr, schedule: 'cosine', workers: o.workers ?? 1, evalEachEpoch: false, ...(o.fast ? {} : { labelSmoothing: DEMO_DEFAULTS.labelSmoothing }) },
    { type: 'eval', latencyRuns: o.fast ? 5 : 30 },
    { type: 'save', path: `${o.out}/dense` },
  ];
  if (o.compress) {
    steps.push(
      { type: 'prune', method: 'structured', importance: 'l1', ratio: 0.5, ignored: ['fc2'], roundTo: 4 },
      { type: 'eval', latencyRuns: o.fast ? 5 : 30 },
      { type: 'fineTune', epochs: 1, kd: true, lr: 1e-3, temperature: 4, alpha: 0.7 },
      { type: 'quantize', method: 'static', perChannel: true, calibrationSamples: o.fast ? 128 : 512 },
      { type: 'eval', latencyRuns: o.fast ? 5 : 30 },
    );
  }
  return {
    name: o.fast ? 'demo (fast)' : 'demo',
    description: 'smallCnn on MNIST: dense training, then structured pruning + KD fine-tuning + int8 PTQ',
    backend: 'wasm',
    seed: 0,
    model: { zoo: 'smallCnn', options: { ...DEMO_MODEL, widths: [...DEMO_MODEL.widths] } },
    data: o.fast ? { dataset: 'mnist', trainSize: 1000, testSize: 500 } : { dataset: 'mnist' },
    steps,
    ...(o.compress ? { output: `${o.out}/compressed` } : {}),
  };
}
