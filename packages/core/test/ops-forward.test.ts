import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, listOps } from '../src/index';
import { expectClose, oneOp, runOn, useWasm } from './helpers';

beforeAll(useWasm);

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('op forward against hand computations (wasm)', () => {
  it('registers every op the design names', () => {
    for (const op of ['conv2d', 'depthwiseConv2d', 'dense', 'batchNorm', 'layerNorm', 'relu', 'relu6', 'gelu', 'sigmoid', 'softmax', 'maxPool', 'avgPool', 'globalAvgPool', 'add', 'concat', 'split', 'flatten', 'reshape', 'dropout', 'input']) {
      expect(listOps()).toContain(op);
    }
  });

  it('conv2d valid and same padding, bias', () => {
    const m = oneOp('conv2d', [3, 3, 1], { filters: 1, kernel: 2, padding: 'valid' }, { kernel: [1, 1, 1, 1], bias: [0.5] });
    expectClose(runOn(m, range(9), [1, 3, 3, 1]), [12.5, 16.5, 24.5, 28.5]);
    m.dispose();
    // same padding: tfjs pads the extra row/column at the bottom/right.
    const s = oneOp('conv2d', [3, 3, 1], { filters: 1, kernel: 2, padding: 'same', useBias: false }, { kernel: [1, 1, 1, 1] });
    expectClose(runOn(s, range(9), [1, 3, 3, 1]), [12, 16, 9, 24, 28, 15, 15, 17, 9]);
    s.dispose();
  });

  it('conv2d with stride 2 and two filters', () => {
    // kernel [1,1,1,2]: filter 0 = 1, filter 1 = -2.
    const m = oneOp('conv2d', [3, 3, 1], { filters: 2, kernel: 1, strides: 2, useBias: false }, { kernel: [1, -2] });
    expectClose(runOn(m, range(9), [1, 3, 3, 1]), [1, -2, 3, -6, 7, -14, 9, -18]);
    m.dispose();
  });

  it('grouped conv2d keeps groups apart', () => {
    // 2 input channels, groups 2, 2 filters, 1x1: out0 = 2*in0, out1 = 3*in1.
    const m = oneOp('conv2d', [1, 2, 2], { filters: 2, kernel: 1, groups: 2, useBias: false }, { kernel: [2, 3] });
    expectClose(runOn(m, [1, 10, 2, 20], [1, 1, 2, 2]), [2, 30, 4, 60]);
    m.dispose();
  });

  it('depthwiseConv2d with multiplier 2 orders outputs c*m+k', () => {
    // kernel [1,1,2,2]: channel 0 -> (1, 2), channel 1 -> (3, 4)
    const m = oneOp('depthwiseConv2d', [1, 1, 2], { kernel: 1, multiplier: 2 }, { kernel: [1, 2, 3, 4], bias: [0, 0, 0, 1] });
    expectClose(runOn(m, [5, 7], [1, 1, 1, 2]), [5, 10, 21, 29]);
    m.dispose();
  });

  it('dense computes xW + b (also over token axes)', () => {
    const m = oneOp('dense', [2], { units: 3 }, { kernel: [1, 2, 3, 4, 5, 6], bias: [1, 0, -1] });
    expectClose(runOn(m, [1, 1, 2, -1], [2, 2]), [6, 7, 8, -1, -1, -1]);
    m.dispose();
    const t = oneOp('dense', [2, 2], { units: 1, useBias: false }, { kernel: [1, 10] });
    expectClose(runOn(t, [1, 2, 3, 4], [1, 2, 2]), [21, 43]);
    t.dispose();
  });

  it('batchNorm inference uses running stats; training uses batch stats and updates them', () => {
    const m = oneOp('batchNorm', [2], { epsilon: 0, momentum: 0.5 }, { gamma: [2, 1], beta: [0, 1], movingMean: [1, 0], movingVariance: [4, 1] });
    expectClose(runOn(m, [3, 2, 5, -2], [2, 2]), [2, 3, 4, -1]);
    // batch stats: channel0 mean 4 var 1; channel1 mean 0 var 4
    expectClose(runOn(m, [3, 2, 5, -2], [2, 2], true), [-2, 2, 2, 0]);
    expectClose(m.param('y', 'movingMean')!.value.dataSync(), [2.5, 0]);
    expectClose(m.param('y', 'movingVariance')!.value.dataSync(), [2.5, 2.5]);
    m.dispose();
  });

  it('layerNorm normalizes the last axis', () => {
    const m = oneOp('layerNorm', [2], { epsilon: 0 }, { gamma: [1, 2], beta: [0, 1] });
    expectClose(runOn(m, [1, 3, 5, 5], [2, 2]), [-1, 3, 0, 1], 1e-4);
    m.dispose();
  });

  it('activations', () => {
    const x = [-2, -0.5, 0, 1, 7];
    const cases: Record<string, number[]> = {
      relu: [0, 0, 0, 1, 7],
      relu6: [0, 0, 0, 1, 6],
      sigmoid: x.map((v) => 1 / (1 + Math.exp(-v))),
      tanh: x.map(Math.tanh),
      gelu: x.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
    };
    for (const [op, want] of Object.entries(cases)) {
      const m = oneOp(op, [5], {});
      expectClose(runOn(m, x, [1, 5]), want, 1e-5);
      m.dispose();
    }
    const s = oneOp('softmax', [3], {});
    const e = [1, 2, 3].map(Math.exp);
    const z = e.reduce((a, b) => a + b);
    expectClose(runOn(s, [1, 2, 3], [1, 3]), e.map((v) => v / z), 1e-6);
    s.dispose();
  });

  it('pooling', () => {
    const x = range(16);
    const mp = oneOp('maxPool', [4, 4, 1], { pool: 2 });
    expectClose(runOn(mp, x, [1, 4, 4, 1]), [6, 8, 14, 16]);
    const ap = oneOp('avgPool', [4, 4, 1], { pool: 2 });
    expectClose(runOn(ap, x, [1, 4, 4, 1]), [3.5, 5.5, 11.5, 13.5]);
    const gp = oneOp('globalAvgPool', [2, 2, 2], {});
    expectClose(runOn(gp, range(8), [1, 2, 2, 2]), [4, 5]);
    [mp, ap, gp].forEach((m) => m.dispose());
  });

  it('add, concat, split, flatten (NHWC order), reshape', () => {
    const b = new GraphBuilder();
    const x = b.input([1, 2, 3], { name: 'x' });
    const [p0, p1] = b.split(x, { sizes: [1, 2], name: 's' }) as [string, string];
    const c = b.concat([p1, p0], { name: 'c' });
    const a = b.add([c, x], { name: 'a' });
    const f = b.flatten(a, { name: 'f' });
    const r = b.reshape(f, { shape: [3, -1], name: 'r' });
    const m = Model.create(b.build([r, f]));
    const data = [1, 2, 3, 4, 5, 6];
    const res = tf.tidy(() => {
      const out = m.run(tf.tensor(data, [1, 1, 2, 3]), { capture: ['s_0', 's_1', 'c'] });
      return { f: out.outputs[1]!.dataSync(), r: out.output.shape, s0: out.captured.s_0!.dataSync(), s1: out.captured.s_1!.dataSync(), c: out.captured.c!.dataSync() };
    });
    expectClose(res.s0, [1, 4]);
    expectClose(res.s1, [2, 3, 5, 6]);
    expectClose(res.c, [2, 3, 1, 5, 6, 4]);
    expectClose(res.f, [3, 5, 4, 9, 11, 10]);
    expect(res.r).toEqual([1, 3, 2]);
    m.dispose();
  });

  it('dropout is the identity at inference and drops ~rate (scaled) in training', () => {
    const m = oneOp('dropout', [1000], { rate: 0.25 });
    const ones = new Array<number>(1000).fill(1);
    expectClose(runOn(m, ones, [1, 1000]), ones);
    const y = runOn(m, ones, [1, 1000], true);
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(180);
    expect(zeros).toBeLessThan(320);
    expect(y.filter((v) => v !== 0).every((v) => Math.abs(v - 4 / 3) < 1e-5)).toBe(true);
    m.dispose();
  });
});
