import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createObserver, fakeQuant, KlObserver, klThreshold, MinMaxObserver, prepareStatic, resolveScheme } from '../src/index';
import { tinyCnn, useWasm } from './helpers';

beforeAll(useWasm);

/** Seeded Laplace(0, 1) samples: a heavy-tailed activation-like distribution. */
function laplace(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = rng() - 0.5;
    return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u) + 1e-12);
  });
}

const qmse = (x: tf.Tensor, obs: { qparams(): ReturnType<MinMaxObserver['qparams']> }): number =>
  tf.tidy(() => tf.mean(tf.square(tf.sub(fakeQuant(x, obs.qparams()), x))).dataSync()[0]!);

describe('KL (entropy) observer', () => {
  it('a uniform distribution keeps (nearly) its full range; a single far outlier is clipped', () => {
    const u = Float32Array.from({ length: 20000 }, (_, i) => i / 19999);
    expect(klThreshold(u, 1, 2048, 128)).toBeGreaterThan(0.95);
    const withOutlier = Float32Array.from([...u, 100]);
    // The smallest candidate is `levels` bins (128 of 2048 over [0, 100]): 6.25.
    expect(klThreshold(withOutlier, 100, 2048, 128)).toBeCloseTo(6.25, 5);
  });

  it('on heavy-tailed data with rare outliers clips and beats min/max in quantization MSE (signed, affine int8)', () => {
    const x = tf.tensor(Float32Array.from([...laplace(50000, 1), 150, -120]));
    const scheme = resolveScheme({ symmetric: false });
    const kl = new KlObserver(scheme, 'x');
    const mm = new MinMaxObserver(scheme, 'x');
    kl.observe(x);
    mm.observe(x);
    const range = kl.qparams().scale[0]! * 255;
    const full = mm.qparams().scale[0]! * 255;
    expect(range).toBeLessThan(full * 0.2);
    // The bulk (everything but the two outliers) is quantized with a finer step.
    const bulk = tf.slice(x, [0], [50000]);
    expect(qmse(bulk, kl)).toBeLessThan(qmse(bulk, mm) / 10);
    tf.dispose([x, bulk]);
  });

  it('non-negative data (after ReLU) is calibrated one-sided: the range starts at 0', () => {
    const x = tf.abs(tf.tensor(laplace(20000, 2)));
    const o = createObserver('kl', resolveScheme({ symmetric: false }), 'relu');
    o.observe(x);
    const qp = o.qparams();
    expect(qp.zeroPoint[0]).toBe(-128);
    expect(qmse(x, o)).toBeGreaterThan(0);
    x.dispose();
  });

  it('per-node overrides pick the observer of each activation; an unknown node is a ConfigError naming it', () => {
    const m = tinyCnn(2);
    const p = prepareStatic(m, { activationObservers: { relu1: 'kl', relu2: { kind: 'percentile', percentile: 99 } } });
    expect(p.observers.get('relu1')!.kind).toBe('kl');
    expect(p.observers.get('relu2')!.kind).toBe('percentile');
    expect(p.observers.get('relu_dw')!.kind).toBe('minmax');
    expect(() => prepareStatic(m, { activationObservers: { conv1: 'kl' } })).toThrow(ConfigError);
    expect(() => prepareStatic(m, { activationObservers: { conv1: 'kl' } })).toThrow(/conv1/);
    expect(() => createObserver({ kind: 'kl', bins: 3 }, resolveScheme({}), 'a')).toThrow(/bins/);
    p.dispose();
    m.dispose();
  });
});
