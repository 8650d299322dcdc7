import * as tf from '@tensorflow/tfjs-core';
import { createRng, GraphBuilder, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { correctBias, equalizablePairs, equalizeCrossLayer, foldBatchNorm, prepareStatic, quantizeDynamic } from '../src/index';
import { maxAbsDiff, outputOf, randomizeBatchNorm, tinyCnn, useWasm } from './helpers';

beforeAll(useWasm);

/** conv(4) → relu → depthwise → relu → conv 1x1 (6) → relu6 → conv 1x1 (3): relu pairs and one relu6 pair. */
function chain(seed = 3): Model {
  const b = new GraphBuilder();
  let h = b.input([6, 6, 2], { name: 'input' });
  h = b.relu(b.conv2d(h, { filters: 4, kernel: 3, name: 'c1' }), { name: 'r1' });
  h = b.relu(b.depthwiseConv2d(h, { kernel: 3, name: 'dw' }), { name: 'r2' });
  h = b.relu6(b.conv2d(h, { filters: 6, kernel: 1, name: 'c2' }), { name: 'r3' });
  return Model.create(b.build(b.conv2d(h, { filters: 3, kernel: 1, name: 'c3' })), { seed });
}

function seeded(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, c) => a * c, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * rng()), shape);
}

/** Replaces param `name` by `f(value)`. */
function setParam(m: Model, name: string, f: (v: tf.Tensor) => tf.Tensor): void {
  const p = m.params.get(name)!;
  const next = tf.tidy(() => f(p.value));
  p.assign(next);
  next.dispose();
}

/** The bias of `fc` (8 -> 3) moved by exactly the weights' error on the mean input: (W_q - W) E[x]. */
function expectWeightShift(m: Model, q: Model, c: Model, x: tf.Tensor): void {
  const w = m.params.get('fc/kernel')!.value.dataSync();
  const wq = q.params.get('fc/kernel')!.value.dataSync();
  const meanX = tf.tidy(() => tf.mean(x, 0).dataSync());
  const b0 = q.params.get('fc/bias')!.value.dataSync();
  const b1 = c.params.get('fc/bias')!.value.dataSync();
  for (let o = 0; o < 3; o++) {
    let shift = 0;
    for (let i = 0; i < 8; i++) shift += (wq[i * 3 + o]! - w[i * 3 + o]!) * meanX[i]!;
    expect(b0[o]! - b1[o]!).toBeCloseTo(shift, 5);
  }
}

const mse = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

describe('cross-layer equalization', () => {
  it('finds the pairs through ReLU (not ReLU6) and keeps float outputs (1e-4) while equalizing ranges', () => {
    const m = chain();
    setParam(m, 'c1/bias', (v) => tf.add(v, seeded(v.shape, 9)));
    setParam(m, 'dw/bias', (v) => tf.add(v, seeded(v.shape, 10)));
    const pairs = equalizablePairs(m.graph).map((p) => `${p.producer}>${p.through.join(',')}>${p.consumer}`);
    expect(pairs).toEqual(['c1>r1>dw', 'dw>r2>c2']);
    const x = seeded([5, 6, 6, 2], 4);
    const before = tf.memory().numTensors;
    const { model: eq } = equalizeCrossLayer(m);
    expect(maxAbsDiff(outputOf(eq, x), outputOf(m, x))).toBeLessThan(1e-4);
    // Both sides of every shared channel end with the same range (sqrt(r1 r2)).
    const r = (name: string, axes: number[]) => tf.tidy(() => tf.max(tf.abs(eq.params.get(name)!.value), axes).dataSync());
    const r1 = r('c1/kernel', [0, 1, 2]);
    const r2 = r('dw/kernel', [0, 1, 3]);
    const r3 = r('dw/kernel', [0, 1, 3]);
    const r4 = r('c2/kernel', [0, 1, 3]);
    for (let i = 0; i < 4; i++) {
      expect(r1[i]! / r2[i]!).toBeCloseTo(1, 3);
      expect(r3[i]! / r4[i]!).toBeCloseTo(1, 3);
    }
    eq.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    x.dispose();
  });

  it('after BN folding (depthwise with multiplier 2 producing into a 1x1 conv) float outputs are unchanged', () => {
    const m = tinyCnn(4);
    randomizeBatchNorm(m, 8);
    const folded = foldBatchNorm(m);
    const { model: eq, pairs } = equalizeCrossLayer(folded);
    expect(pairs.map((p) => p.producer)).toEqual(['conv1', 'dw', 'fc1']);
    const x = seeded([4, 8, 8, 1], 6);
    expect(maxAbsDiff(outputOf(eq, x), outputOf(m, x))).toBeLessThan(1e-4);
    tf.dispose([x]);
    [m, folded, eq].forEach((t) => t.dispose());
  });

  it('a depthwise channel with 500x the range of the others: int8 per-tensor output error drops by > 10x', () => {
    const m = chain(5);
    setParam(m, 'dw/kernel', (v) => tf.mul(v, tf.reshape(tf.tensor1d([500, 1, 1, 1]), [1, 1, 4, 1])));
    // Keep the network's output scale sane: c2 reads channel 0 scaled down accordingly.
    setParam(m, 'c2/kernel', (v) => tf.mul(v, tf.reshape(tf.tensor1d([1 / 500, 1, 1, 1]), [1, 1, 4, 1])));
    const x = seeded([16, 6, 6, 2], 7);
    const ref = outputOf(m, x);
    const err = (model: Model, perChannel: boolean): number => {
      const q = quantizeDynamic(model, { weights: { perChannel } });
      const e = mse(outputOf(q, x), ref);
      q.dispose();
      return e;
    };
    const { model: eq } = equalizeCrossLayer(m);
    const perTensor = { before: err(m, false), after: err(eq, false) };
    const perChannel = { before: err(m, true), after: err(eq, true) };
    expect(perTensor.after).toBeLessThan(perTensor.before / 10);
    // Per-channel already isolates the depthwise channel; equalization must not make it worse.
    expect(perChannel.after).toBeLessThan(perChannel.before * 1.5);
    tf.dispose(x);
    m.dispose();
    eq.dispose();
  });
});

describe('ReLU6-aware cross-layer equalization (calibration data)', () => {
  /** conv 1x1 (5) → relu6 → conv 1x1 (3): output channel ranges 1 .. 0.002 (and one channel that clips at 6). */
  function relu6Pair(): Model {
    const b = new GraphBuilder();
    const h = b.relu6(b.conv2d(b.input([4, 4, 2], { name: 'input' }), { filters: 5, kernel: 1, name: 'c1' }), { name: 'r6' });
    const m = Model.create(b.build(b.conv2d(h, { filters: 3, kernel: 1, name: 'c2' })), { seed: 21 });
    // |w| per output channel: 1, 0.01, 0.5, 0.002 (never clip on inputs in [0, 1]) and 0.5 with bias 5.8 (clips often).
    setParam(m, 'c1/kernel', () => tf.mul(tf.abs(seeded([1, 1, 2, 5], 22)), tf.reshape(tf.tensor1d([1, 0.01, 0.5, 0.002, 0.5]), [1, 1, 1, 5])));
    setParam(m, 'c1/bias', () => tf.tensor1d([0, 0, 0, 0, 5.8]));
    // The consumer reads the tiny channels amplified (their signal matters downstream).
    setParam(m, 'c2/kernel', (v) => tf.mul(v, tf.reshape(tf.tensor1d([1, 100, 2, 500, 2]), [1, 1, 5, 1])));
    return m;
  }

  it('equalizes the ReLU6 pair only with data, keeps float outputs on held-out data (1e-5), leaves the clipping channel alone, and cuts per-tensor int8 error > 10x', () => {
    const m = relu6Pair();
    const calib = seeded([64, 4, 4, 2], 23, 0, 1);
    const test = seeded([64, 4, 4, 2], 24, 0, 1);
    const dataFree = equalizeCrossLayer(m);
    expect(dataFree.pairs).toEqual([]);
    const before = tf.memory().numTensors;
    const { model: eq, pairs } = equalizeCrossLayer(m, { data: calib });
    expect(pairs).toEqual([{ producer: 'c1', consumer: 'c2', through: ['r6'], clip: { node: 'r6', ceiling: 6 } }]);
    expect(tf.memory().numTensors).toBe(before + eq.params.size);
    expect(maxAbsDiff(outputOf(eq, test), outputOf(m, test))).toBeLessThan(1e-5);
    // The clipping channel (4) keeps its weights; the tiny ones (1, 3) were scaled up, within the clip bound.
    const k0 = m.params.get('c1/kernel')!.value.dataSync();
    const k1 = eq.params.get('c1/kernel')!.value.dataSync();
    for (const i of [4, 9]) expect(k1[i]).toBeCloseTo(k0[i]!, 6);
    expect(Math.abs(k1[3]!)).toBeGreaterThan(20 * Math.abs(k0[3]!));
    const pre = tf.tidy(() => tf.max(eq.run(test, { capture: ['c1'] }).captured.c1!, [0, 1, 2]).dataSync());
    for (const i of [0, 1, 2, 3]) expect(pre[i]!).toBeLessThan(6);
    expect(pre[4]!).toBeGreaterThan(6);
    const ref = outputOf(m, test);
    const err = (model: Model): number => {
      const q = quantizeDynamic(model, { weights: { perChannel: false } });
      const e = mse(outputOf(q, test), ref);
      q.dispose();
      return e;
    };
    const errors = { before: err(m), after: err(eq) };
    console.log(`ReLU6 pair, per-tensor int8 weights: output MSE ${errors.before.toExponential(2)} -> ${errors.after.toExponential(2)} after ReLU6-aware CLE`);
    expect(errors.after).toBeLessThan(errors.before / 10);
    [m, dataFree.model, eq].forEach((t) => t.dispose());
    tf.dispose([calib, test]);
  });

  it("ranges: 'activations' balances the consumer-read activation ranges (per-tensor int8 activations) and keeps float outputs", () => {
    const m = chain(6);
    // Channel 0 of r1 carries 200x the activation range of the others.
    setParam(m, 'c1/kernel', (v) => tf.mul(v, tf.reshape(tf.tensor1d([200, 1, 1, 1]), [1, 1, 1, 4])));
    setParam(m, 'dw/kernel', (v) => tf.mul(v, tf.reshape(tf.tensor1d([1 / 200, 1, 1, 1]), [1, 1, 4, 1])));
    const calib = seeded([32, 6, 6, 2], 25);
    const range = (model: Model): Float32Array => tf.tidy(() => tf.max(tf.abs(model.run(calib, { capture: ['r1'] }).captured.r1!), [0, 1, 2]).dataSync() as Float32Array);
    const { model: eq } = equalizeCrossLayer(m, { data: calib, ranges: 'activations' });
    expect(maxAbsDiff(outputOf(eq, calib), outputOf(m, calib))).toBeLessThan(1e-4);
    const spread = (r: Float32Array): number => Math.max(...r) / Math.min(...r.filter((v) => v > 0));
    expect(spread(range(eq))).toBeLessThan(spread(range(m)) / 10);
    expect(() => equalizeCrossLayer(m, { ranges: 'activations' })).toThrow(/needs calibration data/);
    [m, eq].forEach((t) => t.dispose());
    calib.dispose();
  });
});

describe('empirical bias correction', () => {
  /** input → dense(5) → relu → dense(3): inputs to the second layer are non-negative, so rounding error has a mean. */
  function mlp(): Model {
    const b = new GraphBuilder();
    const h = b.relu(b.dense(b.input([12], { name: 'input' }), { units: 5, name: 'fc1' }), { name: 'r' });
    return Model.create(b.build(b.dense(h, { units: 3, name: 'fc2' })), { seed: 11 });
  }

  it('on a single quantized layer the shift equals (W_q - W)^T E[x] (hand computation), and the corrected mean output matches float', () => {
    const b = new GraphBuilder();
    const m = Model.create(b.build(b.dense(b.input([8], { name: 'input' }), { units: 3, name: 'fc' })), { seed: 2 });
    const x = seeded([64, 8], 3, 0, 2);
    const q = quantizeDynamic(m, { weights: { dtype: 'int4', perChannel: false } });
    const before = tf.memory().numTensors;
    const { model: c, report } = correctBias(q, m, x, { batchSize: 20 });
    expectWeightShift(m, q, c, x);
    expect(report.layers.map((l) => l.nodeId)).toEqual(['fc']);
    const meanOut = (model: Model) => tf.tidy(() => tf.mean(model.forward(x), 0).dataSync() as Float32Array);
    expect(maxAbsDiff(meanOut(c), meanOut(m))).toBeLessThan(1e-5);
    c.dispose();
    expect(tf.memory().numTensors).toBe(before);
    [m, q].forEach((t) => t.dispose());
    x.dispose();
  });

  it('corrects only the weight error, not the clipping of the layer\'s own quantized output', () => {
    const b = new GraphBuilder();
    const m = Model.create(b.build(b.dense(b.input([8], { name: 'input' }), { units: 3, name: 'fc' })), { seed: 2 });
    const narrow = seeded([16, 8], 6, 0, 0.5);
    const x = seeded([64, 8], 3, 0, 2);
    // The fc output's int8 range is calibrated on inputs 4x smaller: on x it clips hard.
    const prepared = prepareStatic(m, { weights: { dtype: 'int4', perChannel: false }, activationNodes: ['fc'] });
    prepared.calibrate(narrow);
    const q = prepared.convert();
    const { model: c } = correctBias(q, prepared, x);
    expectWeightShift(m, q, c, x);
    [m, q, c, prepared].forEach((t) => t.dispose());
    tf.dispose([narrow, x]);
  });

  it('at int4 per-tensor, held-out output MSE of a 2-layer MLP drops', () => {
    const m = mlp();
    const calib = seeded([256, 12], 4, 0, 1);
    const test = seeded([256, 12], 5, 0, 1);
    const q = quantizeDynamic(m, { weights: { dtype: 'int4', perChannel: false } });
    const { model: c } = correctBias(q, m, calib);
    const ref = outputOf(m, test);
    const before = mse(outputOf(q, test), ref);
    const after = mse(outputOf(c, test), ref);
    expect(after).toBeLessThan(before * 0.8);
    [m, q, c].forEach((t) => t.dispose());
    tf.dispose([calib, test]);
  });
});
