import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeQParams, dequantize, fakeQuant, fakeQuantMinMax, quantize, resolveScheme } from '../src/index';
import { maxAbsDiff, useWasm } from './helpers';

beforeAll(useWasm);

describe('fakeQuant', () => {
  const scheme = resolveScheme({ dtype: 'int8', symmetric: false });
  const qp = computeQParams([-1], [1], scheme);

  it('equals dequantize(quantize(x)) in the forward pass', () => {
    const x = tf.linspace(-1.5, 1.5, 301);
    const fq = fakeQuant(x, qp);
    const q = quantize(x, qp);
    const dq = dequantize(q, qp);
    expect(maxAbsDiff(fq.dataSync(), dq.dataSync())).toBe(0);
    tf.dispose([x, fq, q, dq]);
  });

  it('has a straight-through gradient: 1 inside the range, 0 where it clips', () => {
    const values = [-3, -1.2, -0.99, -0.3, 0, 0.001, 0.5, 0.99, 1.2, 5];
    const x = tf.tensor(values);
    const g = tf.grad((t: tf.Tensor) => tf.sum(fakeQuant(t, qp)))(x);
    const lo = (qp.qmin - qp.zeroPoint[0]!) * qp.scale[0]!;
    const hi = (qp.qmax - qp.zeroPoint[0]!) * qp.scale[0]!;
    const expected = values.map((v) => (v >= lo - qp.scale[0]! / 2 && v <= hi + qp.scale[0]! / 2 ? 1 : 0));
    expect(Array.from(g.dataSync())).toEqual(expected);
    expect(expected).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 0, 0]);
    tf.dispose([x, g]);
  });

  it('passes the upstream gradient through unchanged inside the range (per-channel too)', () => {
    const pc = computeQParams([-1, -0.1], [1, 0.1], resolveScheme({ perChannel: true, axis: 1 }), 1);
    const x = tf.tensor([[0.5, 0.05], [0.9, 0.5]]);
    const w = tf.tensor([[2, 3], [4, 5]]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuant(t, pc), w)))(x);
    expect(Array.from(g.dataSync())).toEqual([2, 3, 4, 0]); // 0.5 in channel 1 clips (range ±0.1)
    tf.dispose([x, w, g]);
  });

  it('fakeQuantMinMax quantizes a weight per channel with its own min/max and passes gradients', () => {
    const w = tf.tensor([[1, -0.01], [-0.5, 0.02], [0.25, 0]]);
    const s = resolveScheme({ perChannel: true, axis: 1 });
    const fq = fakeQuantMinMax(w, s);
    const v = fq.dataSync();
    // channel 0: scale 1/127; channel 1: scale 0.02/127 — each value within half a step.
    expect(Math.abs(v[0]! - 1)).toBeLessThan(1e-6);
    expect(Math.abs(v[1]! + 0.01)).toBeLessThanOrEqual(0.02 / 127 / 2 + 1e-9);
    expect(Math.abs(v[2]! + 0.5)).toBeLessThanOrEqual(1 / 254 + 1e-7);
    const g = tf.grad((t: tf.Tensor) => tf.sum(fakeQuantMinMax(t, s)))(w);
    expect(Array.from(g.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    tf.dispose([w, fq, g]);
  });

  it('leaks no tensors, with and without a gradient tape', () => {
    const x = tf.tensor([0.3, -2, 0.7]);
    const before = tf.memory().numTensors;
    fakeQuant(x, qp).dispose();
    fakeQuantMinMax(x, resolveScheme()).dispose();
    tf.grad((t: tf.Tensor) => tf.sum(fakeQuant(t, qp)))(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
