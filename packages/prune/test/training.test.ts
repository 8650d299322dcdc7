import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BonsaiError, ConfigError, adam, load, meanSquaredError, save, sgd, train, type LossContext } from '@bonsai/core';
import {
  agp,
  constantSparsity,
  fineTune,
  globalUnstructured,
  gradualPruning,
  iterativePrune,
  l1Unstructured,
  perGroupLr,
  remove,
  sparsityReport,
} from '../src/index';
import { maskOf, maskZeros, noLeaks, synthetic, tinyMlp, useWasm } from './unstructured-helpers';

let data: { x: tf.Tensor; y: tf.Tensor };
beforeAll(async () => {
  await useWasm();
  data = synthetic(128);
});
afterAll(() => {
  data.x.dispose();
  data.y.dispose();
});

describe('masks through training and serialization', () => {
  it('pruned weights stay zero through core train() (gradients do not revive them)', async () => {
    const m = tinyMlp();
    l1Unstructured(m, { amount: 0.7 });
    const k = m.param('fc1', 'kernel')!;
    const maskBefore = maskOf(k);
    const rawBefore = Array.from(k.value.dataSync());
    const lossBefore = tf.tidy(() => meanSquaredError(m.forward(data.x), data.y).dataSync()[0]!);
    await noLeaks(async () => {
      const opt = adam({ lr: 1e-2 });
      await train(m, data, { epochs: 3, batchSize: 16, optimizer: opt });
      opt.dispose();
    });
    expect(maskOf(k)).toEqual(maskBefore);
    const eff = tf.tidy(() => Array.from(k.effective().dataSync()));
    maskBefore.forEach((b, i) => {
      if (b === 0) expect(eff[i] === 0).toBe(true);
    });
    // Unpruned weights did train; pruned raw values got zero gradient and did not move with SGD.
    const rawAfter = Array.from(k.value.dataSync());
    expect(rawAfter.some((v, i) => maskBefore[i] === 1 && v !== rawBefore[i])).toBe(true);
    const lossAfter = tf.tidy(() => meanSquaredError(m.forward(data.x), data.y).dataSync()[0]!);
    expect(lossAfter).not.toBe(lossBefore);
    await train(m, data, { epochs: 1, batchSize: 32, optimizer: sgd({ lr: 0.1 }) });
    const rawSgd = Array.from(k.value.dataSync());
    const rawPre = rawAfter;
    maskBefore.forEach((b, i) => {
      if (b === 0) expect(rawSgd[i]).toBe(rawPre[i]);
    });
    expect(sparsityReport(m).rows.find((r) => r.name === 'fc1/kernel')!.zeros).toBe(Math.round(0.7 * 128));
    m.dispose();
  });

  it('masks survive save/load and remove() bakes them for export', async () => {
    const m = tinyMlp();
    globalUnstructured(m, { amount: 0.6 });
    const dir = await mkdtemp(join(tmpdir(), 'prune-test-'));
    try {
      await save(m, dir);
      const back = await load(dir);
      for (const name of ['fc1/kernel', 'fc2/kernel']) {
        expect(maskOf(back.params.get(name)!)).toEqual(maskOf(m.params.get(name)!));
      }
      const same = tf.tidy(() => tf.max(tf.abs(tf.sub(back.forward(data.x), m.forward(data.x)))).dataSync()[0]!);
      expect(same).toBeLessThan(1e-6);
      remove(back);
      await save(back, dir);
      const baked = await load(dir);
      expect(baked.params.get('fc1/kernel')!.mask).toBeUndefined();
      expect(sparsityReport(baked).total.zeros).toBe(Math.round(0.6 * 192));
      back.dispose();
      baked.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    m.dispose();
  });
});

describe('gradualPruning', () => {
  it('updates masks on schedule inside train() and reaches the exact final sparsity per layer', async () => {
    const m = tinyMlp();
    const schedule = agp({ initialSparsity: 0, finalSparsity: 0.75, beginStep: 0, endStep: 10, frequency: 4 });
    const pruning = gradualPruning({ schedule });
    // 2 masks appear, no other tensor is left behind.
    await noLeaks(async () => {
      const opt = adam();
      await train(m, data, { epochs: 2, batchSize: 16, callbacks: [pruning], optimizer: opt });
      opt.dispose();
    }, 2);
    expect(pruning.step).toBe(16);
    expect(pruning.history.map((h) => h.step)).toEqual([0, 4, 8, 10]);
    pruning.history.forEach((h) => expect(h.target).toBeCloseTo(0.75 - 0.75 * (1 - h.step / 10) ** 3, 12));
    const k1 = m.param('fc1', 'kernel')!;
    const k2 = m.param('fc2', 'kernel')!;
    expect(maskZeros(k1)).toBe(Math.round(0.75 * 128));
    expect(maskZeros(k2)).toBe(Math.round(0.75 * 64));
    expect(pruning.history.at(-1)!.sparsity).toBe(0.75);
    // Intermediate step 4: round(s_4 * size) per layer.
    const s4 = 0.75 - 0.75 * 0.6 ** 3;
    expect(pruning.history[1]!.sparsity).toBeCloseTo((Math.round(s4 * 128) + Math.round(s4 * 64)) / 192, 12);
    m.dispose();
  });

  it('global mode hits the exact total with unequal layers; masks only grow', async () => {
    const m = tinyMlp();
    l1Unstructured(m, { amount: { count: 10 }, params: ['fc2/kernel'] });
    const pre = maskOf(m.param('fc2', 'kernel')!);
    const pruning = gradualPruning({ schedule: constantSparsity({ targetSparsity: 0.5, frequency: 3 }), global: true, model: m });
    await train(m, data, { epochs: 1, batchSize: 16, callbacks: [pruning] });
    const report = sparsityReport(m);
    const masked = maskZeros(m.param('fc1', 'kernel')!) + maskZeros(m.param('fc2', 'kernel')!);
    expect(masked).toBe(96);
    expect(report.total.zeros).toBe(96);
    const post = maskOf(m.param('fc2', 'kernel')!);
    pre.forEach((b, i) => {
      if (b === 0) expect(post[i]).toBe(0);
    });
    expect(pruning.history.map((h) => h.step)).toEqual([0, 3, 6]);
    m.dispose();
  });

  it('prunes only the named params and rejects unknown ones', async () => {
    const m = tinyMlp();
    const pruning = gradualPruning({ schedule: constantSparsity({ targetSparsity: 0.5 }), params: ['fc1'] });
    pruning.update(0, m);
    expect(maskZeros(m.param('fc1', 'kernel')!)).toBe(64);
    expect(m.param('fc2', 'kernel')!.mask).toBeUndefined();
    const bad = gradualPruning({ schedule: constantSparsity({ targetSparsity: 0.5 }), params: ['fc7/kernel'] });
    await expect(train(m, data, { epochs: 1, batchSize: 64, callbacks: [bad] })).rejects.toThrow(BonsaiError);
    m.dispose();
  });
});

describe('iterativePrune', () => {
  it('alternates prune and fine-tune until prune returns false', async () => {
    const m = tinyMlp();
    const k = m.param('fc1', 'kernel')!;
    const log: string[] = [];
    const result = await iterativePrune({
      prune: (r) => {
        if (k.sparsity() >= 0.8) return false;
        log.push(`prune${r}`);
        return l1Unstructured(k, { amount: 0.5 }).some((c) => c.added > 0);
      },
      fineTune: async (r) => {
        log.push(`tune${r}`);
        await fineTune(m, data, { epochs: 1, lr: 1e-3, batchSize: 32 });
      },
      maxRounds: 10,
    });
    expect(result).toEqual({ rounds: 3, stoppedBy: 'prune' });
    expect(log).toEqual(['prune0', 'tune0', 'prune1', 'tune1', 'prune2', 'tune2']);
    expect(maskZeros(k)).toBe(64 + 32 + 16);
    const capped = await iterativePrune({ prune: () => true, fineTune: () => undefined, maxRounds: 2 });
    expect(capped).toEqual({ rounds: 2, stoppedBy: 'maxRounds' });
    const early = await iterativePrune({ prune: () => true, fineTune: () => undefined, maxRounds: 5, onRound: (r) => r < 1 });
    expect(early).toEqual({ rounds: 2, stoppedBy: 'onRound' });
    await expect(iterativePrune({ prune: () => true, fineTune: () => undefined, maxRounds: 0 })).rejects.toThrow(ConfigError);
    m.dispose();
  });
});

describe('fine-tuning helpers', () => {
  it('fineTune decays the LR with a cosine, keeps masks and leaks nothing', async () => {
    const m = tinyMlp();
    l1Unstructured(m, { amount: 0.5 });
    const opt = adam({ lr: 1e-3 });
    const mask = maskOf(m.param('fc1', 'kernel')!);
    const h = await noLeaks(async () => {
      const out = await fineTune(m, data, { epochs: 2, lr: 0.01, batchSize: 32, optimizer: opt });
      opt.dispose();
      return out;
    });
    expect(h.steps).toBe(8);
    // Last step is step 7 of 8: lr = 0.5 * 0.01 * (1 + cos(pi * 7 / 8)).
    expect(opt.lr).toBeCloseTo(0.005 * (1 + Math.cos((Math.PI * 7) / 8)), 12);
    expect(maskOf(m.param('fc1', 'kernel')!)).toEqual(mask);
    await expect(fineTune(m, () => [], { epochs: 1 })).rejects.toThrow(/stepsPerEpoch/);
    m.dispose();
  });

  it('KD-assisted fine-tuning: a LossSpec function sees the student output and the batch (as distill\'s kdLossSpec does)', async () => {
    const teacher = tinyMlp(5);
    await train(teacher, data, { epochs: 2, batchSize: 16 });
    const student = teacher.clone();
    l1Unstructured(student, { amount: 0.8 });
    const gap = () => tf.tidy(() => meanSquaredError(student.forward(data.x), teacher.forward(data.x)).dataSync()[0]!);
    const before = gap();
    let calls = 0;
    // The shape of @bonsai/distill's kdLossSpec(teacher): teacher logits on ctx.batch.x, loss on ctx.output.
    const loss = (ctx: LossContext): tf.Scalar => {
      calls++;
      const t = tf.tidy(() => teacher.forward(ctx.batch.x, { training: false }));
      expect(t.shape).toEqual(ctx.output.shape);
      const l = meanSquaredError(ctx.output, t);
      t.dispose();
      return l;
    };
    await noLeaks(() => fineTune(student, data, { epochs: 3, lr: 5e-3, batchSize: 32, loss }));
    expect(calls).toBe(12);
    expect(gap()).toBeLessThan(before);
    const legacy = { epochs: 1, teacher } as unknown as Parameters<typeof fineTune>[2];
    await expect(fineTune(student, data, legacy)).rejects.toThrow(/kdLossSpec/);
    await expect(fineTune(student, data, { epochs: 1, loss: 42 as unknown as 'crossEntropy' })).rejects.toThrow(ConfigError);
    teacher.dispose();
    student.dispose();
  });

  it('perGroupLr sets multipliers for pruned vs untouched params', () => {
    const m = tinyMlp();
    const opt = perGroupLr(adam(), { pruned: ['fc1'], multiplier: 0.1, model: m, untouchedMultiplier: 1.5 });
    expect(Object.fromEntries(opt.lrMultipliers)).toEqual({ 'fc1/kernel': 0.1, 'fc1/bias': 0.1, 'fc2/kernel': 1.5, 'fc2/bias': 1.5 });
    perGroupLr(opt, { pruned: [m.param('fc2', 'kernel')!], multiplier: 0 });
    expect(opt.lrMultipliers.get('fc2/kernel')).toBe(0);
    expect(() => perGroupLr(opt, { pruned: ['fc9'], multiplier: 0.1, model: m })).toThrow(BonsaiError);
    expect(() => perGroupLr(opt, { pruned: ['fc1'], multiplier: -1 })).toThrow(ConfigError);
    m.dispose();
  });
});
