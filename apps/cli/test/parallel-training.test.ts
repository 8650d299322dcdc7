import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoRecipe } from '../src/commands/demo-recipe';
import { defaultWorkers, parallelPlan } from '../src/parallel-training';
import { oneHot } from '../src/stream';
import { run, tempDir } from './helpers';

interface TrainDetails { workers: number; epochLosses: number[]; testAccuracy: number[]; evalSeconds: number; seconds: number }
interface Doc { ok: boolean; result: { steps: Array<{ type: string; details: TrainDetails }> } }

beforeAll(async () => {
  await initBackend('wasm');
});

const plain = { customLoss: false, capture: false, changesParams: false, backend: 'wasm' };

describe('parallel training plan', () => {
  it('uses min(2, cores) workers by default', () => {
    expect([1, 2, 3, 16].map((c) => defaultWorkers(c))).toEqual([1, 2, 2, 2]);
  });

  it('runs plain cross-entropy training on the requested workers and falls back to one thread with the reason', () => {
    expect(parallelPlan({ ...plain, workers: 2 })).toEqual({ workers: 2 });
    expect(parallelPlan({ ...plain })).toEqual({ workers: 1 });
    expect(parallelPlan({ ...plain, workers: 1, customLoss: true })).toEqual({ workers: 1 });
    expect(parallelPlan({ ...plain, workers: 2, customLoss: true }).fallback).toMatch(/one thread: its loss \(knowledge distillation\)/);
    expect(parallelPlan({ ...plain, workers: 3, capture: true }).fallback).toMatch(/captures/);
    expect(parallelPlan({ ...plain, workers: 2, changesParams: true }).fallback).toMatch(/change masks/);
    expect(parallelPlan({ ...plain, workers: 2, backend: 'cpu' })).toMatchObject({ workers: 1, fallback: expect.stringMatching(/cpu backend/) });
  });

  it('the demo recipe trains the dense model with the workers it is given (default one thread)', () => {
    const train = (w?: number) => demoRecipe({ fast: true, out: 'o', compress: true, workers: w }).steps.find((s) => s.type === 'train');
    expect(train(2)).toMatchObject({ workers: 2 });
    expect(train()).toMatchObject({ workers: 1 });
  });
});

describe('label smoothing', () => {
  it('keeps each row a distribution with the label on top', () => {
    const labels = Int32Array.from([3, 0, 9]);
    const y = oneHot(labels, Uint32Array.from([2, 0]), 10, 0.1);
    const v = y.arraySync() as number[][];
    for (const [row, label] of [[v[0]!, 9], [v[1]!, 3]] as const) {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(row[label]).toBeCloseTo(0.91, 6);
      expect(row.filter((_p, k) => k !== label).every((p) => Math.abs(p - 0.01) < 1e-7)).toBe(true);
    }
    y.dispose();
  });
});

describe('recipe training on worker threads (MNIST subset, small CNN)', () => {
  it('trains on 2 workers reproducibly (augmented, smoothed), and a KD fine-tune falls back to one thread', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'r.json'), JSON.stringify({
      seed: 3,
      model: { zoo: 'smallCnn', options: { widths: [4, 8], hidden: 16 } },
      data: { dataset: 'mnist', trainSize: 256, testSize: 64 },
      steps: [
        { type: 'train', epochs: 2, lr: 3e-3, workers: 2, labelSmoothing: 0.1, augment: { shift: 2 }, evalEachEpoch: false },
        { type: 'prune', method: 'structured', ratio: 0.5, ignored: ['fc2'] },
        { type: 'fineTune', epochs: 1, kd: true, workers: 2 },
      ],
      output: 'out',
      report: false,
    }));
    const before = tf.memory().numTensors;
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const r = await run(['compress', '-r', 'r.json', '--json'], { cwd });
      expect(r.code, r.stderr).toBe(0);
      runs.push({ doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr });
    }
    const [a, b] = runs as [typeof runs[0], typeof runs[0]];
    const trainA = a.doc.result.steps[0]!.details;
    const fineA = a.doc.result.steps[2]!.details;
    expect(trainA.workers).toBe(2);
    expect(a.stderr).toContain('train: 2 worker threads (@bonsai/parallel)');
    expect(trainA.epochLosses).toHaveLength(2);
    expect(trainA.epochLosses[1]!).toBeLessThan(trainA.epochLosses[0]!);
    // no per-epoch measurement: only the final batch-norm re-estimation counts as measuring
    expect(trainA.testAccuracy).toEqual([]);
    expect(trainA.evalSeconds).toBeLessThan(trainA.seconds);
    // same seed, same worker count: the same run
    expect(b.doc.result.steps[0]!.details.epochLosses).toEqual(trainA.epochLosses);
    expect(b.doc.result.steps[2]!.details.epochLosses).toEqual(fineA.epochLosses);
    expect(fineA.workers).toBe(1);
    expect(a.stderr).toMatch(/fine-tune \(KD\): 2 workers asked for, training on one thread: its loss \(knowledge distillation\) is a function/);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
