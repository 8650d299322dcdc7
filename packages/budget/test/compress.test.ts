import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adam, ConfigError, initBackend, train, type Model } from '@bonsai/core';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { accuracy, countMacs, countParams } from '@bonsai/eval';
import { smallCnn } from '@bonsai/models';
import { compressToBudget, predictorOf, Structure } from '../src/index';

let model: Model;
let trainData: { x: tf.Tensor; y: tf.Tensor };
let val: { x: tf.Tensor; y: tf.Tensor };

beforeAll(async () => {
  await initBackend('wasm');
  const mnist = loadMnist({ trainSize: 256, testSize: 160, seed: 5 });
  trainData = toTensors(mnist.train);
  val = toTensors(mnist.test);
  model = smallCnn({ widths: [4, 8], hidden: 16, dropout: 0, seed: 2 });
  const opt = adam({ lr: 3e-3 });
  await train(model, trainData, { epochs: 2, batchSize: 32, optimizer: opt, seed: 0 });
  opt.dispose();
});

afterAll(() => {
  model.dispose();
  tf.dispose([trainData.x, trainData.y, val.x, val.y]);
});

const snapshot = (m: Model): number[][] => [...m.params.values()].map((p) => Array.from(p.value.dataSync()));

describe('compressToBudget', () => {
  it('meets a MAC budget: measured MACs equal the prediction, scores match eval, the input model is untouched', async () => {
    const snap = snapshot(model);
    const before = tf.memory().numTensors;
    const r = await compressToBudget(model, { val, train: trainData }, { target: { macs: { fraction: 0.5 } }, maxDrop: 0.1, sweepRatios: [0.3, 0.6], fineTune: { epochs: 1, batchSize: 64 } });
    const row = r.report.targets[0]!;
    expect(row.metric).toBe('macs');
    expect(row.measured).toBe(countMacs(r.model).dense);
    expect(Math.round(row.predicted)).toBe(row.measured);
    expect(row.measured).toBeLessThanOrEqual(0.5 * countMacs(model).dense);
    expect(row.met).toBe(true);
    expect(r.report.metric).toBe('accuracy');
    expect(r.report.baseline).toBeCloseTo(accuracy(model, val.x, val.y), 10);
    expect(r.report.score).toBeCloseTo(accuracy(r.model, val.x, val.y), 10);
    expect(r.report.drop.met).toBe(r.report.baseline - r.report.score <= 0.1);
    expect(r.report.markdown).toContain('| macs | 0.5x');
    expect(countParams(r.model)).toBeLessThan(countParams(model));
    expect(snapshot(model)).toEqual(snap);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says plainly when a target cannot be met, and scores agreement without labels', async () => {
    const r = await compressToBudget(model, { val: { x: val.x } }, { target: { params: 100 }, maxDrop: 0.01, sweepRatios: [0.5], fineTune: { epochs: 0 } });
    expect(r.report.metric).toBe('agreement');
    expect(r.report.baseline).toBe(1);
    expect(r.report.feasible).toBe(false);
    expect(r.report.met).toBe(false);
    expect(r.report.targets[0]!.met).toBe(false);
    expect(r.report.summary).toMatch(/cannot be met/);
    r.model.dispose();
    await expect(compressToBudget(model, { val }, { target: { macs: { fraction: 0.5 } }, maxDrop: 5 })).rejects.toBeInstanceOf(ConfigError);
    await expect(compressToBudget(model, { val }, { target: {}, maxDrop: 0.01 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('plans a latency bound on the fitted table, against the fit\'s dense prediction, and checks its widths in a closed loop', async () => {
    const logs: string[] = [];
    const r = await compressToBudget(model, { val: { x: val.x } }, { target: { latencyMs: { fraction: 0.6 } }, maxDrop: 1, sweepRatios: [0.5], fineTune: { epochs: 0 }, latency: { configs: 6, runs: 3, warmup: 1, cacheDir: false, refine: 2 }, onProgress: (m) => logs.push(m) });
    const table = r.latencyTable!;
    const s = new Structure(model);
    const lat = r.report.targets[0]!;
    expect(lat.metric).toBe('latencyMs');
    // The bound is 0.6 x the final fit's dense prediction; the allocation's prediction is that fit's.
    const predict = predictorOf(table.fit);
    expect(lat.limit).toBeCloseTo(0.6 * predict(s.cost({}).work), 9);
    expect(lat.predicted).toBeCloseTo(predict(s.cost(r.allocation.ratios).work), 9);
    // Up to two closed-loop checks: a second one only after the first plan's timing joined the fit.
    const checks = logs.filter((m) => m.startsWith('latency check')).length;
    expect(checks === 1 || checks === 2).toBe(true);
    expect(table.points).toHaveLength(6 + checks - 1);
    expect(r.report.markdown).toContain('| latencyMs | 0.6x');
    r.model.dispose();
  });

  it('meets a size budget with mixed weight precision after lighter pruning', async () => {
    const r = await compressToBudget(model, { val }, { target: { sizeBytes: { fraction: 0.2 } }, maxDrop: 1, sweepRatios: [0.5], fineTune: { epochs: 0 }, mixedPrecision: true });
    const size = r.report.targets[0]!;
    expect(size.metric).toBe('sizeBytes');
    expect(size.measured).toBeLessThanOrEqual(size.limit);
    expect(size.met).toBe(true);
    // float32 alone could not fit: the kept params take more than the bound at 4 bytes each.
    expect(4 * countParams(r.model)).toBeGreaterThan(size.limit);
    expect(r.report.summary).toMatch(/Weight precisions: \d+ x (int4|int8|float16)/);
    r.model.dispose();
  });
});
