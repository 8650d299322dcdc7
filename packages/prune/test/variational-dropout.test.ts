import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, adam, train } from '@bonsai/core';
import { VD_KL_CONSTANTS, logAlphaOf, sparseVariationalDropout, variationalKl } from '../src/index';
import { setValues, synthetic, tinyCnn, tinyMlp, useWasm } from './unstructured-helpers';

beforeAll(useWasm);

/** −E log|ε| for ε ~ N(1, α), by the trapezoid rule over z ∈ [−12, 12] (the log singularity is integrable). */
function expectedNegLogAbs(alpha: number): number {
  const s = Math.sqrt(alpha);
  const n = 100_000;
  const h = 24 / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const z = -12 + i * h + h / 2; // midpoints never hit the singularity exactly
    sum += Math.log(Math.abs(1 + s * z)) * Math.exp(-z * z / 2);
  }
  return -sum * h / Math.sqrt(2 * Math.PI);
}

describe('variationalKl', () => {
  it('equals the paper formula at known points and tracks the exact KL (up to its constant) within 0.02', () => {
    const points = [-4, -1, 0, 1, 3];
    const { k1, k2, k3 } = VD_KL_CONSTANTS;
    const t = tf.tensor1d(points);
    const kl = noLeaksSync(() => variationalKl(t), 1);
    const got = Array.from(kl.dataSync());
    tf.dispose([t, kl]);
    points.forEach((la, i) => {
      const hand = k1 - k1 / (1 + Math.exp(-(k2 + k3 * la))) + 0.5 * Math.log(1 + Math.exp(-la));
      expect(got[i]).toBeCloseTo(hand, 5);
    });
    // At log α = 0: k1 − k1·σ(k2) + ½ ln 2.
    expect(got[2]).toBeCloseTo(0.63576 - 0.63576 / (1 + Math.exp(-1.8732)) + 0.5 * Math.LN2, 5);
    // Exact −KL = ½ log α − E log|ε| + C: differences between points do not depend on C.
    const exact = points.map((la) => -(0.5 * la + expectedNegLogAbs(Math.exp(la))));
    for (let i = 1; i < points.length; i++) expect(Math.abs(got[i]! - got[0]! - (exact[i]! - exact[0]!))).toBeLessThan(0.02);
    // KL decreases in log α (larger dropout rate = closer to the prior).
    for (let i = 1; i < points.length; i++) expect(got[i]!).toBeLessThan(got[i - 1]!);
  });

  it('gradient matches finite differences; log α clips at ±clip', () => {
    const la = tf.tensor1d([-2, 0.5, 2]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(variationalKl(x)))(la);
    const eps = 1e-3;
    const kl = (v: number): number => tf.tidy(() => variationalKl(tf.scalar(v)).dataSync()[0]!);
    Array.from(la.dataSync()).forEach((v, i) => expect(g.dataSync()[i]).toBeCloseTo((kl(v + eps) - kl(v - eps)) / (2 * eps), 2));
    const theta = tf.tensor1d([1, 1e-6, 0.1]);
    const ls2 = tf.tensor1d([0, 0, Math.log(0.01)]);
    const a = logAlphaOf(theta, ls2, 8);
    const v = Array.from(a.dataSync());
    expect(v[0]).toBeCloseTo(0, 4);
    expect(v[1]).toBe(8);
    expect(v[2]).toBeCloseTo(0, 3);
    tf.dispose([la, g, theta, ls2, a]);
  });
});

/** Mean and variance over the batch axis of `t` (shape [n, k]) as arrays. */
function moments(t: tf.Tensor): { mean: number[]; variance: number[] } {
  return tf.tidy(() => {
    const m = tf.moments(t, 0);
    return { mean: Array.from(m.mean.dataSync()), variance: Array.from(m.variance.dataSync()) };
  });
}

describe('local reparameterisation forward', () => {
  it('a dense output has the mean and variance of x·W + b with W ~ N(θ, σ²) sampled explicitly', () => {
    const model = tinyMlp(2);
    const vd = sparseVariationalDropout(model, { seed: 4 });
    const fc1 = model.params.get('fc1/kernel')!;
    const ls2 = vd.logSigma2.find((p) => p.name === 'fc1/kernel.logSigma2')!;
    setValues(ls2, Array.from({ length: fc1.size }, (_, i) => Math.log(0.01 + 0.002 * (i % 7))));
    const n = 2500;
    const before = tf.memory().numTensors;
    const row = tf.randomNormal([1, 8], 0, 1, 'float32', 11);
    const x = tf.tile(row, [n, 1]);
    const lrt = vd.model.run(x, { training: true, capture: ['fc1'], skipStateUpdates: true });
    const got = moments(lrt.captured.fc1!);
    // Independent oracle: draw n weight matrices and compute x·W + b directly.
    const oracle = tf.tidy(() => {
      const eps = tf.randomNormal([n, 8, 16], 0, 1, 'float32', 12);
      const w = tf.add(fc1.value, tf.mul(tf.sqrt(tf.exp(ls2.value)), eps));
      const out = tf.add(tf.squeeze(tf.matMul(tf.tile(tf.reshape(row, [1, 1, 8]), [n, 1, 1]), w), [1]), model.params.get('fc1/bias')!.value);
      return moments(out);
    });
    const analytic = tf.tidy(() => ({
      mean: Array.from(tf.add(tf.matMul(row, fc1.value), model.params.get('fc1/bias')!.value).dataSync()),
      variance: Array.from(tf.matMul(tf.square(row), tf.exp(ls2.value)).dataSync()),
    }));
    tf.dispose([row, x, lrt.output, ...lrt.outputs, ...Object.values(lrt.captured)]);
    expect(tf.memory().numTensors).toBe(before);
    for (let j = 0; j < 16; j++) {
      const sd = Math.sqrt(analytic.variance[j]!);
      // Monte-Carlo standard errors at n = 2500: mean sd/50, variance ~2.8%.
      expect(Math.abs(got.mean[j]! - analytic.mean[j]!)).toBeLessThan(5 * sd / Math.sqrt(n));
      expect(Math.abs(oracle.mean[j]! - analytic.mean[j]!)).toBeLessThan(5 * sd / Math.sqrt(n));
      expect(got.variance[j]! / analytic.variance[j]!).toBeGreaterThan(0.88);
      expect(got.variance[j]! / analytic.variance[j]!).toBeLessThan(1.12);
      expect(got.variance[j]! / oracle.variance[j]!).toBeGreaterThan(0.85);
      expect(got.variance[j]! / oracle.variance[j]!).toBeLessThan(1.15);
    }
    // Inference is the mean network: identical to the original model.
    const xs = tf.randomNormal([3, 8], 0, 1, 'float32', 13);
    const a = vd.model.forward(xs);
    const b = model.forward(xs);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([xs, a, b]);
    vd.dispose();
    model.dispose();
  });

  it('a conv output has variance conv(x², σ²) (the weight\'s masked entries carry no noise)', () => {
    const model = tinyCnn(3);
    const vd = sparseVariationalDropout(model, { params: ['conv/kernel'], initLogSigma2: Math.log(0.04), seed: 5 });
    const kernel = model.params.get('conv/kernel')!;
    const mask = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(kernel.shape, 0, 1, 'float32', 14), 0.5), 'float32'));
    kernel.setMask(mask);
    const n = 2000;
    const row = tf.randomNormal([1, 6, 6, 8], 0, 1, 'float32', 15);
    const x = tf.tile(row, [n, 1, 1, 1]);
    const r = vd.model.run(x, { training: true, capture: ['conv'], skipStateUpdates: true });
    const got = moments(tf.reshape(r.captured.conv!, [n, -1]));
    const want = tf.tidy(() => ({
      mean: Array.from(tf.add(tf.conv2d(row as tf.Tensor4D, kernel.effective() as tf.Tensor4D, 1, 'same'), model.params.get('conv/bias')!.value).dataSync()),
      variance: Array.from(tf.conv2d(tf.square(row) as tf.Tensor4D, tf.mul(0.04, mask) as tf.Tensor4D, 1, 'same').dataSync()),
    }));
    tf.dispose([row, x, r.output, ...r.outputs, ...Object.values(r.captured), mask]);
    expect(want.variance.length).toBe(got.variance.length);
    want.variance.forEach((v, j) => {
      expect(Math.abs(got.mean[j]! - want.mean[j]!)).toBeLessThan(5 * Math.sqrt(v / n) + 1e-4);
      expect(got.variance[j]! / v).toBeGreaterThan(0.85);
      expect(got.variance[j]! / v).toBeLessThan(1.15);
    });
    vd.dispose();
    model.dispose();
  });
});

describe('sparseVariationalDropout masks and training', () => {
  it('masks exactly the weights with log α > threshold; the sparsity form prunes the exact count by log α rank', () => {
    const model = tinyMlp(4);
    const vd = sparseVariationalDropout(model);
    const ls2 = vd.logSigma2.map((p) => {
      const vals = Array.from({ length: p.size }, (_, i) => -6 + ((i * 37) % 101) / 10);
      setValues(p, vals);
      return vals;
    });
    const hand = vd.paramNames.map((name, k) => Array.from(model.params.get(name)!.value.dataSync()).map((t, i) => Math.max(-8, Math.min(8, ls2[k]![i]! - Math.log(t * t + 1e-8)))));
    const expected = hand.flat().filter((la) => la > 3).length;
    const masks = noLeaksSync(() => vd.masks({ threshold: 3 }), 2);
    vd.paramNames.forEach((name, k) => {
      const m = Array.from(masks.get(name)!.dataSync());
      m.forEach((v, i) => {
        if (Math.abs(hand[k]![i]! - 3) > 1e-4) expect(v).toBe(hand[k]![i]! > 3 ? 0 : 1);
      });
    });
    tf.dispose([...masks.values()]);
    const removed = vd.applyMasks({ threshold: 3 });
    const total = 8 * 16 + 16 * 4;
    const zeros = vd.paramNames.reduce((a, n) => a + Array.from(model.params.get(n)!.mask!.dataSync()).filter((v) => v === 0).length, 0);
    expect(Math.abs(zeros - expected)).toBeLessThanOrEqual(1); // float32 vs float64 at the threshold
    expect(removed).toBeCloseTo(zeros / total, 12);
    for (const n of vd.paramNames) model.params.get(n)!.dropMask();
    expect(vd.applyMasks({ sparsity: 0.75 })).toBe(144 / total);
    // Masked weights have θ = 0 in the effective value: log α clips to +8, so they stay pruned.
    expect(vd.applyMasks({ sparsity: 0.5 })).toBe(144 / total);
    vd.dispose();
    model.dispose();
  });

  it('trains through core train() with the log σ² as extraParams: loss finite, log α moves, no leaks', async () => {
    const model = tinyMlp(6);
    const data = synthetic(128);
    const before = tf.memory().numTensors;
    const vd = sparseVariationalDropout(model, { initLogSigma2: -6 });
    const la0 = tf.tidy(() => tf.mean(vd.logAlpha('fc1/kernel')).dataSync()[0]!);
    const opt = adam({ lr: 1e-2 });
    const h = await train(vd.model, data, { epochs: 2, batchSize: 32, optimizer: opt, extraParams: vd.logSigma2, loss: vd.loss({ trainSize: 128, warmupSteps: 4 }), seed: 1 });
    opt.dispose();
    expect(h.epochLosses.every(Number.isFinite)).toBe(true);
    const la1 = tf.tidy(() => tf.mean(vd.logAlpha('fc1/kernel')).dataSync()[0]!);
    expect(la1).toBeGreaterThan(la0); // the KL pushes α up
    vd.applyMasks();
    vd.dispose();
    expect(tf.memory().numTensors).toBe(before + 2); // the two new masks
    tf.dispose(Object.values(data));
    model.dispose();
  });

  it('throws ConfigError naming the option or param', () => {
    const model = tinyMlp(7);
    expect(() => sparseVariationalDropout(model, { params: ['fc1/bias'] })).toThrow(/fc1\/bias/);
    expect(() => sparseVariationalDropout(model, { params: ['nope'] })).toThrow(ConfigError);
    expect(() => sparseVariationalDropout(model, { initLogSigma2: Number.NaN })).toThrow(/initLogSigma2/);
    expect(() => sparseVariationalDropout(model, { clip: 0 })).toThrow(/clip/);
    expect(() => sparseVariationalDropout(model, { seed: -1 })).toThrow(/seed/);
    const vd = sparseVariationalDropout(model);
    expect(() => vd.loss({ trainSize: 0 })).toThrow(/trainSize/);
    expect(() => vd.loss({ trainSize: 10, klWeight: -1 })).toThrow(/klWeight/);
    expect(() => vd.loss({ trainSize: 10, warmupSteps: 0.5 })).toThrow(/warmupSteps/);
    expect(() => vd.masks({ threshold: Number.NaN })).toThrow(/threshold/);
    expect(() => vd.masks({ sparsity: 1 })).toThrow(/sparsity/);
    expect(() => vd.logAlpha('fc9/kernel')).toThrow(ConfigError);
    vd.dispose();
    model.dispose();
  });
});

/** Runs `fn` and asserts exactly `added` new live tensors (what it returns). */
function noLeaksSync<T>(fn: () => T, added: number): T {
  const before = tf.memory().numTensors;
  const out = fn();
  expect(tf.memory().numTensors).toBe(before + added);
  return out;
}
