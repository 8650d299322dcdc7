import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { kdLoss, softKl } from '../src/index';
import { expectClose, scalarOf, useWasm } from './helpers';

beforeAll(useWasm);

// Hand example (values from float64 numpy):
//   s = [[1,2,3],[0,0,0]], t = [[3,2,1],[1,0,-1]], y = [[0,0,1],[1,0,0]]
//   KL(softmax(t/2) || softmax(s/2)), batch mean = 0.19928880988554243
//   CE(s, y) = mean(-log softmax(s)[y]) = 0.7531091265562451
//   T = 2, alpha = 0.5: 0.5 * 4 * 0.199288... + 0.5 * 0.753109... = 0.7751321830492074
const S = [[1, 2, 3], [0, 0, 0]];
const T = [[3, 2, 1], [1, 0, -1]];
const Y = [[0, 0, 1], [1, 0, 0]];

function softmax(row: number[], temp: number): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp((v - m) / temp));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

describe('kdLoss', () => {
  it('matches hand-computed values', () => {
    const [s, t, y] = [tf.tensor2d(S), tf.tensor2d(T), tf.tensor2d(Y)];
    expect(scalarOf(() => kdLoss({ temperature: 2, alpha: 0.5 })(s, t, y))).toBeCloseTo(0.7751321830492074, 5);
    expect(scalarOf(() => softKl(s, t, 2))).toBeCloseTo(0.19928880988554243, 6);
    // alpha = 1, T = 1: plain KL, labels not needed.
    expect(scalarOf(() => kdLoss({ temperature: 1, alpha: 1 })(s, t))).toBeCloseTo(0.7083187360185266, 5);
    // alpha = 0: plain cross-entropy, the teacher is ignored.
    expect(scalarOf(() => kdLoss({ temperature: 7, alpha: 0 })(s, t, y))).toBeCloseTo(0.7531091265562451, 5);
    // Identical logits: the soft term vanishes.
    expect(scalarOf(() => kdLoss({ temperature: 3, alpha: 1 })(s, s))).toBeCloseTo(0, 6);
    tf.dispose([s, t, y]);
  });

  it('exposes its settings and has sensible defaults', () => {
    const kd = kdLoss();
    expect([kd.temperature, kd.alpha]).toEqual([4, 0.9]);
    const custom = kdLoss({ temperature: 2.5, alpha: 0.25 });
    expect([custom.temperature, custom.alpha]).toEqual([2.5, 0.25]);
  });

  it('rejects invalid temperature and alpha with ConfigError', () => {
    for (const temperature of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => kdLoss({ temperature, alpha: 0.5 })).toThrow(ConfigError);
    }
    for (const alpha of [-0.01, 1.01, Number.NaN]) expect(() => kdLoss({ temperature: 2, alpha })).toThrow(ConfigError);
    expect(() => kdLoss({ temperature: 0 })).toThrow(/temperature/);
    expect(() => kdLoss({ alpha: 2 })).toThrow(/alpha/);
    expect(() => kdLoss({ temperature: 1e-3, alpha: 0 })).not.toThrow();
    expect(() => kdLoss({ temperature: 1, alpha: 1 })).not.toThrow();
  });

  it('checks shapes and requires labels when alpha < 1', () => {
    const [s, t] = [tf.tensor2d(S), tf.zeros([2, 4])];
    expect(() => kdLoss({ alpha: 1 })(s, t)).toThrow(ShapeError);
    expect(() => kdLoss({ alpha: 0.5 })(s, s)).toThrow(ConfigError);
    expect(() => kdLoss({ alpha: 0.5 })(s, s, t)).toThrow(ShapeError);
    tf.dispose([s, t]);
  });

  it('gradient w.r.t. student logits: analytic matches numerical and the closed form', () => {
    const kd = kdLoss({ temperature: 2, alpha: 0.5 });
    const [t, y] = [tf.tensor2d(T), tf.tensor2d(Y)];
    const s = tf.tensor2d(S);
    const g = tf.grad((x: tf.Tensor) => kd(x, t, y))(s);
    const analytic = g.dataSync();
    // Central differences in float32.
    const eps = 1e-2;
    const base = S.flat();
    const numerical = base.map((_, i) => {
      const at = (delta: number) => scalarOf(() => tf.tidy(() => {
        const v = base.slice();
        v[i] = v[i]! + delta;
        return kd(tf.tensor2d(v, [2, 3]), t, y);
      }));
      return (at(eps) - at(-eps)) / (2 * eps);
    });
    expectClose(analytic, numerical, 2e-3);
    // Closed form: alpha*T*(p_s^T - p_t^T)/B + (1-alpha)*(softmax(s) - y)/B.
    const closed = S.flatMap((row, b) => {
      const psT = softmax(row, 2);
      const ptT = softmax(T[b]!, 2);
      const ps = softmax(row, 1);
      return row.map((_, k) => (0.5 * 2 * (psT[k]! - ptT[k]!)) / 2 + (0.5 * (ps[k]! - Y[b]![k]!)) / 2);
    });
    expectClose(analytic, closed, 1e-5);
    // Matches the numpy reference too.
    expectClose(analytic, [-0.13757069, 0.06118212, 0.07638857, -0.2532402, 0.09640206, 0.15683814], 1e-6);
    tf.dispose([g, s, t, y]);
  });

  it('the T^2 factor keeps the soft gradient scale comparable across temperatures', () => {
    // For large T, grad ~ (s - t)/(K*B) independently of T (Hinton et al., sec. 2.1).
    const [s, t] = [tf.tensor2d([[0.3, -0.2, 0.1]]), tf.tensor2d([[-0.1, 0.2, 0.0]])];
    const gradAt = (temperature: number) => tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => kdLoss({ temperature, alpha: 1 })(x, t))(s).dataSync()));
    const g10 = gradAt(10);
    const g100 = gradAt(100);
    const limit = [0.4, -0.4, 0.1].map((d) => d - 0.1 / 3).map((v) => v / 3);
    expectClose(g100, limit, 2e-3);
    expectClose(g10, limit, 2e-2);
    tf.dispose([s, t]);
  });

  it('leaves no tensors behind besides its result', () => {
    const [s, t, y] = [tf.tensor2d(S), tf.tensor2d(T), tf.tensor2d(Y)];
    const before = tf.memory().numTensors;
    const l = kdLoss({ temperature: 2, alpha: 0.5 })(s, t, y);
    expect(tf.memory().numTensors).toBe(before + 1);
    l.dispose();
    softKl(s, t, 3).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, t, y]);
  });
});
