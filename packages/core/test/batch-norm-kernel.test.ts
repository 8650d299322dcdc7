import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining } from '../src/kernels/batch-norm';
import { expectClose, useWasm } from './helpers';

beforeAll(useWasm);

/** The textbook formula through tf.moments; autodiff of it is the oracle for the closed-form backward. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, x.shape.slice(0, -1).map((_, i) => i));
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

const cases: Array<[string, number[]]> = [['NHWC', [3, 4, 5, 6]], ['dense [batch, C]', [7, 3]], ['rank 3', [2, 5, 4]]];

describe('batchNormTraining (closed-form backward)', () => {
  for (const [name, shape] of cases) {
    it(`matches tf.moments' forward, statistics and autodiff gradients (${name})`, () => {
      const c = shape[shape.length - 1]!;
      const x = tf.randomNormal(shape, 2, 3, 'float32', 1);
      const gamma = tf.randomNormal([c], 1, 0.5, 'float32', 2);
      const beta = tf.randomNormal([c], 0, 1, 'float32', 3);
      const w = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const before = tf.memory().numTensors;
      const r = batchNormTraining(x, gamma, beta, 1e-3);
      const ref = tf.tidy(() => reference(x, gamma, beta, 1e-3));
      const m = tf.tidy(() => tf.moments(x, shape.slice(0, -1).map((_, i) => i)));
      expectClose(r.y.dataSync(), ref.dataSync(), 2e-5);
      expectClose(r.mean.dataSync(), m.mean.dataSync(), 2e-5);
      expectClose(r.variance.dataSync(), m.variance.dataSync(), 1e-4);
      tf.dispose([r.y, r.mean, r.variance, ref, m.mean, m.variance]);
      expect(tf.memory().numTensors).toBe(before);
      // Gradients of sum(y * w) w.r.t. x, gamma and beta.
      const loss = (f: (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), w));
      const ours = tf.grads(loss((a, g, b) => {
        const o = batchNormTraining(a, g, b, 1e-3);
        tf.dispose([o.mean, o.variance]);
        return o.y;
      }))([x, gamma, beta]);
      const theirs = tf.grads(loss((a, g, b) => reference(a, g, b, 1e-3)))([x, gamma, beta]);
      ours.forEach((g, i) => expectClose(g.dataSync(), theirs[i]!.dataSync(), 2e-4));
      tf.dispose([...ours, ...theirs]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, gamma, beta, w]);
    });
  }

  it('input gradient matches central finite differences', () => {
    const x = tf.randomNormal([4, 2, 2, 3], 0, 1, 'float32', 5);
    const gamma = tf.tensor1d([1.5, -0.5, 2]);
    const beta = tf.tensor1d([0.1, 0.2, -0.3]);
    const w = tf.randomNormal(x.shape, 0, 1, 'float32', 6);
    const f = (a: tf.Tensor): number => tf.tidy(() => {
      const o = batchNormTraining(a, gamma, beta, 1e-3);
      return tf.sum(tf.mul(o.y, w)).dataSync()[0]!;
    });
    const [dx] = tf.grads((a: tf.Tensor) => {
      const o = batchNormTraining(a, gamma, beta, 1e-3);
      tf.dispose([o.mean, o.variance]);
      return tf.sum(tf.mul(o.y, w));
    })([x]);
    const vals = x.dataSync();
    const ga = dx!.dataSync();
    for (const i of [0, 7, 23, 47]) {
      const at = (d: number): number => {
        const v = vals.slice();
        v[i] = vals[i]! + d;
        const t = tf.tensor(v, x.shape);
        const out = f(t);
        t.dispose();
        return out;
      };
      const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
      expect(Math.abs(ga[i]! - numeric), `dx[${i}] analytic ${ga[i]} numeric ${numeric}`).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    }
    tf.dispose([x, gamma, beta, w, dx!]);
  });
});
