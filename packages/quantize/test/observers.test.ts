import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, ConfigError } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createObserver, fakeQuant, MinMaxObserver, MovingAverageMinMaxObserver, MseObserver, PercentileObserver, resolveScheme } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

const affine = resolveScheme({ symmetric: false });
const sym = resolveScheme({ symmetric: true });

/** 1000 values spread uniformly in [-1, 1] plus one outlier at 50. */
function withOutlier(): tf.Tensor {
  const v = Array.from({ length: 1000 }, (_, i) => -1 + (2 * i) / 999);
  v.push(50);
  return tf.tensor(v);
}

describe('observers', () => {
  it('minmax keeps the running extremes', () => {
    const o = new MinMaxObserver(affine, 'a');
    const a = tf.tensor([0.5, -0.25, 1]);
    const b = tf.tensor([[-2, 0.1]]);
    o.observe(a);
    o.observe(b);
    const qp = o.qparams();
    expect(o.count).toBe(2);
    expect(qp.scale[0]).toBeCloseTo(3 / 255, 7);
    expect(qp.zeroPoint[0]).toBe(Math.round(-128 + 2 / (3 / 255)));
    tf.dispose([a, b]);
  });

  it('per-channel minmax reduces over every axis but the channel axis', () => {
    const o = createObserver('minmax', resolveScheme({ perChannel: true, axis: 1 }), 'w');
    const w = tf.tensor([[1, -0.5], [-2, 0.25]]);
    o.observe(w);
    expect(Array.from(o.qparams().scale)).toEqual([Math.fround(2 / 127), Math.fround(0.5 / 127)]);
    w.dispose();
  });

  it('moving average follows torch: min += c * (batchMin - min)', () => {
    const o = new MovingAverageMinMaxObserver(affine, 'm', 0.5);
    const a = tf.tensor([-1, 1]);
    const b = tf.tensor([-3, 5]);
    o.observe(a);
    o.observe(b);
    // min = -1 + 0.5 * (-3 + 1) = -2; max = 1 + 0.5 * (5 - 1) = 3.
    expect(o.qparams().scale[0]).toBeCloseTo(5 / 255, 7);
    tf.dispose([a, b]);
  });

  it('percentile ignores a single outlier that minmax follows', () => {
    const x = withOutlier();
    const mm = createObserver('minmax', sym, 'x');
    const pct = createObserver({ kind: 'percentile', percentile: 99.5 }, sym, 'x');
    for (const o of [mm, pct]) o.observe(x);
    expect(mm.qparams().scale[0]).toBeCloseTo(50 / 127, 6);
    expect(pct.qparams().scale[0]).toBeLessThan(1.01 / 127);
    expect(pct.qparams().scale[0]).toBeGreaterThan(0.98 / 127);
    expect(pct).toBeInstanceOf(PercentileObserver);
    x.dispose();
  });

  it('MSE clips Gaussian tails at 4 bits and beats minmax on squared error', () => {
    const int4 = resolveScheme({ dtype: 'int4', symmetric: true });
    const x = tf.randomNormal([20000], 0, 1, 'float32', 17);
    const mm = createObserver('minmax', int4, 'x');
    const mse = createObserver('mse', int4, 'x');
    mm.observe(x);
    mse.observe(x);
    expect(mse).toBeInstanceOf(MseObserver);
    const sm = mm.qparams().scale[0]!;
    const se = mse.qparams().scale[0]!;
    expect(se).toBeLessThan(0.8 * sm);
    const err = (qp: ReturnType<typeof mm.qparams>): number => tf.tidy(() => tf.mean(tf.squaredDifference(x, fakeQuant(x, qp))).dataSync()[0]!);
    expect(err(mse.qparams())).toBeLessThan(err(mm.qparams()));
    x.dispose();
  });

  it('throws when asked for parameters before seeing data, and on bad options', () => {
    expect(() => new MinMaxObserver(affine, 'conv1').qparams()).toThrow(/observer "conv1" has seen no data/);
    expect(() => new MinMaxObserver(affine, 'conv1').qparams()).toThrow(BonsaiError);
    expect(() => createObserver({ kind: 'percentile', percentile: 20 }, affine, 'p')).toThrow(ConfigError);
    expect(() => createObserver({ kind: 'movingAverage', averagingConstant: 0 }, affine, 'p')).toThrow(ConfigError);
    expect(() => createObserver({ kind: 'mse', minRatio: 2 }, affine, 'p')).toThrow(ConfigError);
    expect(() => createObserver('histogram' as never, affine, 'p')).toThrow(/unknown observer "histogram"/);
  });

  it('reset forgets what was observed; observing leaks no tensors', () => {
    const x = withOutlier();
    const before = tf.memory().numTensors;
    const kinds = ['minmax', 'movingAverage', 'percentile', 'mse'] as const;
    for (const k of kinds) {
      const o = createObserver(k, affine, k);
      o.observe(x);
      o.qparams();
      o.reset();
      expect(o.count).toBe(0);
      expect(() => o.qparams()).toThrow(BonsaiError);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
