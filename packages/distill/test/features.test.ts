import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  attentionLoss, attentionMap, HintAdapter, hintLoss, pairwiseDistances, rkdAngleLoss, rkdDistanceLoss, rkdLoss, smoothL1, tripletAngles,
} from '../src/index';
import { expectClose, scalarOf, useWasm } from './helpers';

beforeAll(useWasm);

describe('HintAdapter and hintLoss', () => {
  it('maps channels with a 1x1 convolution and owns core Params', () => {
    const a = new HintAdapter('hint:s->t', 3, 5, { seed: 1 });
    expect(a.params.map((p) => [p.name, p.shape])).toEqual([['hint:s->t/kernel', [3, 5]], ['hint:s->t/bias', [5]]]);
    const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3);
    const y = a.apply(x);
    expect(y.shape).toEqual([2, 4, 4, 5]);
    // Pixel (1, 2, 3) of sample 1 equals x[1,2,3,:] @ kernel (bias is zero).
    const k = a.kernel.value.arraySync() as number[][];
    const px = (tf.slice(x, [1, 2, 3, 0], [1, 1, 1, 3]).dataSync() as Float32Array);
    const expected = [0, 1, 2, 3, 4].map((o) => px.reduce((acc, v, i) => acc + v * k[i]![o]!, 0));
    expectClose(tf.slice(y, [1, 2, 3, 0], [1, 1, 1, 5]).dataSync(), expected, 1e-5);
    const flat = a.apply(tf.ones([7, 3]));
    expect(flat.shape).toEqual([7, 5]);
    expect(() => a.apply(tf.ones([2, 4]))).toThrow(ShapeError);
    expect(() => new HintAdapter('bad', 0, 2)).toThrow(ShapeError);
    expect(new HintAdapter('nb', 2, 2, { useBias: false }).params).toHaveLength(1);
    tf.dispose([x, y, flat]);
    a.dispose();
  });

  it('hintLoss is the MSE, through the adapter when given', () => {
    const s = tf.tensor2d([[1, 2], [3, 4]]);
    const t = tf.tensor2d([[0, 2], [3, 6]]);
    // ((1-0)^2 + 0 + 0 + (4-6)^2) / 4 = 1.25
    expect(scalarOf(() => hintLoss(s, t))).toBeCloseTo(1.25, 6);
    const a = new HintAdapter('a', 2, 3, { useBias: false });
    const k = tf.tensor2d([[1, 0, 1], [0, 1, 1]]);
    a.kernel.assign(k);
    const t3 = tf.tensor2d([[1, 2, 3], [3, 4, 5]]);
    // s @ k = [[1,2,3],[3,4,7]] -> only (7-5)^2 = 4 of 6 entries -> 2/3
    expect(scalarOf(() => hintLoss(s, t3, a))).toBeCloseTo(2 / 3, 6);
    expect(() => hintLoss(s, t3)).toThrow(ShapeError);
    const before = tf.memory().numTensors;
    hintLoss(s, t3, a).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, t, k, t3]);
    a.dispose();
  });

  it('training the adapter alone reduces the hint loss', () => {
    // Teacher features are a fixed linear map of the student's: a 1x1 adapter can fit them.
    const s = tf.randomNormal([16, 3, 3, 2], 0, 1, 'float32', 5);
    const t = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(s, [-1, 2]), tf.tensor2d([[1, -2, 0.5, 0], [0.3, 1, -1, 2]])), [16, 3, 3, 4]));
    const a = new HintAdapter('fit', 2, 4, { seed: 2 });
    const first = scalarOf(() => hintLoss(s, t, a));
    for (let i = 0; i < 200; i++) {
      const { value, grads } = tf.variableGrads(() => hintLoss(s, t, a), a.params.map((p) => p.value));
      tf.tidy(() => a.params.forEach((p) => p.value.assign(tf.sub(p.value, tf.mul(grads[p.value.name]!, 0.1)))));
      tf.dispose([value, ...Object.values(grads)]);
    }
    const last = scalarOf(() => hintLoss(s, t, a));
    expect(first).toBeGreaterThan(0.5);
    expect(last).toBeLessThan(first * 0.01);
    tf.dispose([s, t]);
    a.dispose();
  });
});

describe('attention transfer', () => {
  it('attentionMap is the normalized sum_c |f|^p', () => {
    // One sample, 1x2 positions, 2 channels: position 0 = [1, 2], position 1 = [2, 0].
    const f = tf.tensor4d([[[[1, 2], [2, 0]]]]);
    // p = 2: [5, 4] / sqrt(41)
    expectClose(attentionMap(f).dataSync(), [5 / Math.sqrt(41), 4 / Math.sqrt(41)], 1e-6);
    // p = 1: [3, 2] / sqrt(13)
    expectClose(attentionMap(f, { p: 1 }).dataSync(), [3 / Math.sqrt(13), 2 / Math.sqrt(13)], 1e-6);
    // p = 3: [9, 8] / sqrt(145)
    expectClose(attentionMap(tf.neg(f), { p: 3 }).dataSync(), [9 / Math.sqrt(145), 8 / Math.sqrt(145)], 1e-5);
    expect(() => attentionMap(f, { p: 0 })).toThrow(ConfigError);
    f.dispose();
  });

  it('attentionLoss compares maps across different channel counts', () => {
    const s = tf.tensor4d([[[[1, 2], [2, 0]]]]);
    const t = tf.tensor4d([[[[0, 3, 0], [0, 0, 0]]]]);
    // maps [5, 4]/sqrt(41) and [1, 0]: mean of squared differences
    const a = [5 / Math.sqrt(41), 4 / Math.sqrt(41)];
    expect(scalarOf(() => attentionLoss(s, t))).toBeCloseTo(((a[0]! - 1) ** 2 + a[1]! ** 2) / 2, 6);
    expect(scalarOf(() => attentionLoss(s, tf.mul(s, 3)))).toBeCloseTo(0, 7);
    expect(() => attentionLoss(s, tf.zeros([1, 2, 1, 2]))).toThrow(ShapeError);
    // A zero feature map has a zero attention map and finite gradients.
    const g = tf.grad((x: tf.Tensor) => attentionLoss(x, t))(tf.zeros([1, 1, 2, 2]));
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    const before = tf.memory().numTensors;
    attentionLoss(s, t).dispose();
    attentionMap(s).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, t, g]);
  });
});

describe('relational KD (RKD)', () => {
  // Student: a 3-4-5 right triangle; teacher: a 1-1-sqrt(2) right triangle (2-D embeddings).
  const S = [[0, 0], [3, 0], [0, 4]];
  const T = [[0, 0], [1, 0], [0, 1]];

  it('pairwise distances and triplet angles', () => {
    const s = tf.tensor2d(S);
    expectClose(pairwiseDistances(s).dataSync(), [0, 3, 4, 3, 0, 5, 4, 5, 0], 1e-5);
    const cos = tripletAngles(s).arraySync() as number[][][];
    expect(cos[0]![1]![2]).toBeCloseTo(0, 6); // right angle at the origin
    expect(cos[1]![0]![2]).toBeCloseTo(3 / 5, 5); // angle at (3,0) between origin and (0,4)
    expect(cos[2]![0]![1]).toBeCloseTo(4 / 5, 5);
    expect(cos[1]![1]![2]).toBe(0); // degenerate triplet
    s.dispose();
  });

  it('distance and angle losses match hand computation', () => {
    const [s, t] = [tf.tensor2d(S), tf.tensor2d(T)];
    // Normalized distances: student [3,4,5]/4 = [0.75, 1, 1.25]; teacher [1,1,sqrt2]/((2+sqrt2)/3).
    const mu = (2 + Math.SQRT2) / 3;
    const diffs = [0.75 - 1 / mu, 1 - 1 / mu, 1.25 - Math.SQRT2 / mu];
    const huber = (d: number) => (Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5);
    const distance = (2 * diffs.map(huber).reduce((a, b) => a + b, 0)) / 9;
    expect(distance).toBeCloseTo(0.0034812488032349314, 12);
    expect(scalarOf(() => rkdDistanceLoss(s, t))).toBeCloseTo(distance, 6);
    expect(scalarOf(() => rkdAngleLoss(s, t))).toBeCloseTo(0.0007444819510247017, 6);
    expect(scalarOf(() => rkdLoss(s, t))).toBeCloseTo(0.004970212705284334, 6);
    expect(scalarOf(() => rkdLoss(s, t, { distanceWeight: 2, angleWeight: 0 }))).toBeCloseTo(2 * distance, 6);
    // Relations are invariant to scale, so a scaled copy of the teacher has zero loss, in any width.
    const scaled = tf.tidy(() => tf.concat([tf.mul(t, 7), tf.zeros([3, 3])], 1));
    expect(scalarOf(() => rkdLoss(scaled, t))).toBeCloseTo(0, 6);
    expect(() => rkdLoss(s, tf.zeros([4, 2]))).toThrow(ShapeError);
    expect(() => rkdLoss(s, t, { angleWeight: -1 })).toThrow(ConfigError);
    tf.dispose([s, t, scaled]);
  });

  it('has finite gradients (coincident points included) and leaks nothing', () => {
    const t = tf.tensor2d(T);
    const s = tf.tensor2d([[0, 0], [0, 0], [1, 2]]);
    const g = tf.grad((x: tf.Tensor) => rkdLoss(x, t))(s);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    expect(scalarOf(() => smoothL1(tf.tensor1d([0, 0.5, 3]), tf.zeros([3])))).toBeCloseTo((0 + 0.125 + 2.5) / 3, 6);
    const before = tf.memory().numTensors;
    rkdLoss(s, t).dispose();
    pairwiseDistances(s).dispose();
    tripletAngles(s).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, t, g]);
  });
});
