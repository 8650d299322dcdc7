import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, initBackend, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { agreement, modelAgreement } from '../src/index';
import { setParam } from './helpers';

describe('agreement (label-free evaluation)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('matches a hand computation: top-1, top-k, mean KL of the softmaxes, max |Δ|', () => {
    const t = [[2, 1, 0, -1, -2, -3], [0, 3, 1, 0, 0, 0], [1, 1, 5, 0, 0, 0]];
    const s = [[2, 1, 0, -1, -2, -3], [3, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 4]];
    const before = tf.memory().numTensors;
    const [tt, st] = [tf.tensor2d(t), tf.tensor2d(s)];
    const a = agreement(tt, st);
    // row 0 identical; row 1: student picks class 0, which is 2nd..5th in the teacher's row (tied 0s: rank 2) -> in top-5;
    // row 2: student picks class 5, teacher's value 0 is below 1, 1, 5 -> rank 4 (3 above) -> in top-5, not top-1
    expect(a.top1).toBeCloseTo(1 / 3, 9);
    expect(a.top5).toBeCloseTo(1, 9);
    expect(a.k).toBe(5);
    const softmax = (r: number[]): number[] => {
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(v - m));
      const z = e.reduce((x, y) => x + y, 0);
      return e.map((v) => v / z);
    };
    const kl = t.map((row, i) => {
      const p = softmax(row);
      const q = softmax(s[i]!);
      return p.reduce((acc, pi, j) => acc + pi * Math.log(pi / q[j]!), 0);
    });
    expect(a.meanKl).toBeCloseTo(kl.reduce((x, y) => x + y, 0) / 3, 5);
    expect(a.maxAbsDiff).toBe(5);
    expect(a.samples).toBe(3);
    tf.dispose([tt, st]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a single score per sample is a binary decision: same side of 0.5 (probabilities) or 0 (logits), Bernoulli KL', () => {
    const before = tf.memory().numTensors;
    const [tp, sp] = [tf.tensor2d([[0.9], [0.2], [0.6]]), tf.tensor2d([[0.7], [0.4], [0.4]])];
    const a = agreement(tp, sp);
    const bern = (p: number, q: number): number => p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
    expect(a).toMatchObject({ samples: 3, k: 1, binary: true });
    expect(a.top1).toBeCloseTo(2 / 3, 9);
    expect(a.top5).toBe(a.top1);
    expect(a.meanKl).toBeCloseTo((bern(0.9, 0.7) + bern(0.2, 0.4) + bern(0.6, 0.4)) / 3, 6);
    expect(a.maxAbsDiff).toBeCloseTo(0.2, 6);
    // logits: threshold 0, sigmoid probabilities
    const [tl, sl] = [tf.tensor2d([[2], [-1]]), tf.tensor2d([[-0.5], [-3]])];
    const b = agreement(tl, sl);
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expect(b.top1).toBeCloseTo(0.5, 9);
    expect(b.meanKl).toBeCloseTo((bern(sig(2), sig(-0.5)) + bern(sig(-1), sig(-3))) / 2, 6);
    expect(b.maxAbsDiff).toBeCloseTo(2.5, 6);
    tf.dispose([tp, sp, tl, sl]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched shapes with a ShapeError', () => {
    const [x, y] = [tf.zeros([2, 3]), tf.zeros([3, 3])];
    expect(() => agreement(x, y)).toThrow(/both be \[n, classes\]/);
    tf.dispose([x, y]);
  });

  it('modelAgreement runs both models in batches: a hand-built dense pair', () => {
    const make = (kernel: number[]): Model => {
      const b = new GraphBuilder();
      const m = Model.create(b.build(b.dense(b.input([2], { name: 'x' }), { units: 3, name: 'fc' })));
      setParam(m, 'fc', 'kernel', kernel);
      setParam(m, 'fc', 'bias', [0, 0, 0.5]);
      return m;
    };
    // original: x -> [x0, x1, 0.5]; compressed: x -> [x1, x0, 0.5]
    const [original, compressed] = [make([1, 0, 0, 0, 1, 0]), make([0, 1, 0, 1, 0, 0])];
    const x = tf.tensor2d([[2, 1], [0, 0], [1, 3]]);
    const before = tf.memory().numTensors;
    const a = modelAgreement(original, compressed, x, { batchSize: 2 });
    // top-1: original 0, 2, 1; compressed 1, 2, 0 -> only the middle row agrees
    expect(a.top1).toBeCloseTo(1 / 3, 9);
    expect(a.k).toBe(3);
    expect(a.top5).toBe(1);
    expect(a.maxAbsDiff).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => modelAgreement(original, {} as Model, x)).toThrow(/modelAgreement/);
    tf.dispose(x);
    original.dispose();
    compressed.dispose();
  });
});
