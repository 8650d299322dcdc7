import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, type Model } from '@bonsai/core';
import { smallCnn } from '@bonsai/models';
import { architectureHash, fitConfigurations, fitLatency, latencyPredictor, latencyTerms, measureLatencyTable, nnls, predictorOf, Structure, timeModels } from '../src/index';

let model: Model;
let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  model = smallCnn({ widths: [8, 16], hidden: 16, dropout: 0, inputShape: [12, 12, 1] });
  dir = mkdtempSync(path.join(tmpdir(), 'budget-latency-'));
});

afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Oracle: least squares on every subset of columns, keeping the best solution with all coefficients >= 0. */
function bruteNnls(a: number[][], b: number[]): number[] {
  const n = a[0]!.length;
  let best = { x: new Array<number>(n).fill(0), r: b.reduce((s, v) => s + v * v, 0) };
  for (let mask = 1; mask < 1 << n; mask++) {
    const cols = [...Array(n).keys()].filter((j) => mask & (1 << j));
    const A = a.map((row) => cols.map((j) => row[j]!));
    const ata = cols.map((_, i) => cols.map((_, j) => A.reduce((t, row) => t + row[i]! * row[j]!, 0)));
    const atb = cols.map((_, i) => A.reduce((t, row, r) => t + row[i]! * b[r]!, 0));
    const sub = invert(ata).map((row) => row.reduce((t, v, j) => t + v * atb[j]!, 0));
    if (sub.some((v) => v < -1e-9)) continue;
    const x = new Array<number>(n).fill(0);
    cols.forEach((j, k) => {
      x[j] = sub[k]!;
    });
    const r = b.reduce((s, bi, i) => s + (bi - a[i]!.reduce((t, aij, j) => t + aij * x[j]!, 0)) ** 2, 0);
    if (r < best.r - 1e-12) best = { x, r };
  }
  return best.x;
}

/** Gauss-Jordan inverse (small matrices). */
function invert(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const d = a[c]![c]!;
    for (let k = 0; k < 2 * n; k++) a[c]![k]! /= d;
    for (let r = 0; r < n; r++) if (r !== c) {
      const f = a[r]![c]!;
      for (let k = 0; k < 2 * n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row) => row.slice(n));
}

describe('latency fit (synthetic timings)', () => {
  it('nnls equals the best nonnegative subset solution (brute force), on random systems', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 6; trial++) {
      const a = Array.from({ length: 8 }, () => Array.from({ length: 4 }, () => rng() * 2 - 0.5));
      const b = Array.from({ length: 8 }, () => rng() * 2 - 1);
      const { x, residual } = nnls(a, b);
      expect(x.every((v) => v >= 0)).toBe(true);
      const oracle = bruteNnls(a, b);
      x.forEach((v, j) => expect(v).toBeCloseTo(oracle[j]!, 6));
      expect(residual).toBeCloseTo(Math.sqrt(b.reduce((s, bi, i) => s + (bi - a[i]!.reduce((t, aij, j) => t + aij * x[j]!, 0)) ** 2, 0)), 9);
    }
  });

  it('terms group nodes by width dependence; the fit recovers fixed time, costs and exponent, and predicts held-out widths', () => {
    const s = new Structure(model);
    const terms = latencyTerms(s);
    // conv2's kernel shrinks with its in (conv1) and out (conv2) groups: a term of its own;
    // bn2 / relu2 follow conv2's out-channels only; the logits layer's output no group changes.
    expect(terms.find((t) => t.includes('conv2'))).toEqual(['conv2']);
    expect(terms.find((t) => t.includes('bn2'))).toEqual(expect.arrayContaining(['bn2', 'relu2']));
    expect(terms.flat()).not.toContain('conv1_input');
    // Synthetic timings from a known model: fixed 0.3 ms + cost_t * work_t^1.4.
    const truth = { fixedMs: 0.3, exponent: 1.4, rmsRelError: 0, terms: terms.map((nodes, i) => ({ nodes, msAtDense: i % 3 === 2 ? 0 : 0.1 * (i + 1) })) };
    const oracle = predictorOf(truth);
    const samples = fitConfigurations(s, 2 * terms.length + 6, 1).map((ratios) => ({ ratios, ms: oracle(s.cost(ratios).work) }));
    const fit = fitLatency(s, samples, terms);
    expect(fit.exponent).toBeCloseTo(1.4, 9);
    expect(fit.fixedMs).toBeCloseTo(0.3, 6);
    fit.terms.forEach((t, i) => expect(t.msAtDense).toBeCloseTo(truth.terms[i]!.msAtDense, 6));
    expect(fit.rmsRelError).toBeLessThan(1e-6);
    const predict = predictorOf(fit);
    for (const ratios of fitConfigurations(s, 10, 77).slice(5)) expect(predict(s.cost(ratios).work)).toBeCloseTo(oracle(s.cost(ratios).work), 6);
    // By hand at the dense model: every work fraction is 1.
    expect(predict(s.cost({}).work)).toBeCloseTo(0.3 + truth.terms.reduce((a, t) => a + t.msAtDense, 0), 9);
  });
});

describe('latency table', () => {
  it('times plain passes of dense + mixed-width clones, fits them, and is cached by hash + machine', async () => {
    const s = new Structure(model);
    const before = tf.memory().numTensors;
    const t = await measureLatencyTable(model, s, { batch: 2, configs: 6, runs: 2, warmup: 1, cacheDir: dir });
    expect(tf.memory().numTensors).toBe(before);
    expect(t.cached).toBe(false);
    expect(t.points).toHaveLength(6);
    expect(t.points[0]!.ratios).toEqual({});
    expect(t.points.map((p) => p.ratios)).toEqual(fitConfigurations(s, 6, 0));
    expect(t.points.every((p) => p.ms > 0 && p.minMs <= p.ms)).toBe(true);
    expect(t.fit.terms.map((x) => x.nodes)).toEqual(latencyTerms(s));
    expect(latencyPredictor(t)(s.cost({}).work)).toBeCloseTo(predictorOf(t.fit)(s.cost({}).work), 12);
    const again = await measureLatencyTable(model, s, { batch: 2, configs: 6, runs: 2, warmup: 1, cacheDir: dir });
    expect(again.cached).toBe(true);
    expect(again.points).toEqual(t.points);
    const other = await measureLatencyTable(model, s, { batch: 1, configs: 6, runs: 2, warmup: 1, cacheDir: dir });
    expect(other.key).not.toBe(t.key);
    expect(readdirSync(dir)).toHaveLength(2);
    const clone = model.clone();
    expect(architectureHash(clone)).toBe(architectureHash(model));
    clone.dispose();
  });

  it('timeModels times every model on both clocks without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    for (const clock of ['wall', 'cpu'] as const) {
      const t = await timeModels([model, model], { batch: 1, warmup: 0, runs: 3, seed: 0, clock });
      expect(t).toHaveLength(2);
      expect(t.every((p) => p.median >= p.min && p.min >= 0)).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
