import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, initBackend } from '@bonsai/core';
import { countMacs, countNonZero, countParams, paramReport } from '../src/index';
import { convNet } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('countParams / countNonZero', () => {
  it('matches hand counts', () => {
    const m = convNet();
    expect(countParams(m)).toBe(40 + 16 + 2570);
    expect(countParams(m, { trainableOnly: true })).toBe(40 + 8 + 2570);
    expect(countNonZero(m)).toBe(36 + 8 + 2570);
    expect(countNonZero(m, { trainableOnly: true })).toBe(36 + 4 + 2570);
    m.dispose();
  });

  it('counts effective values: masks apply, params stay', () => {
    const m = convNet();
    const before = tf.memory().numTensors;
    const mask = tf.tensor(Array.from({ length: 36 }, (_, i) => (i < 18 ? 0 : 1)), [3, 3, 1, 4]);
    m.param('conv', 'kernel')!.setMask(mask);
    mask.dispose();
    expect(countParams(m)).toBe(2626);
    expect(countNonZero(m)).toBe(2614 - 18);
    m.param('conv', 'kernel')!.dropMask();
    expect(countNonZero(m)).toBe(2614);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('paramReport breaks counts down per node', () => {
    const m = convNet();
    const mask = tf.tensor(Array.from({ length: 2560 }, (_, i) => (i % 4 ? 0 : 1)), [256, 10]);
    m.param('fc', 'kernel')!.setMask(mask);
    mask.dispose();
    const before = tf.memory().numTensors;
    const r = paramReport(m);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.rows.map((x) => x.node)).toEqual(['conv', 'bn', 'fc']);
    const [conv, bn, fc] = r.rows;
    expect(conv).toMatchObject({ op: 'conv2d', params: 40, trainableParams: 40, nonZero: 36, masked: false });
    expect(conv!.shapes).toEqual({ kernel: [3, 3, 1, 4], bias: [4] });
    expect(bn).toMatchObject({ op: 'batchNorm', params: 16, trainableParams: 8, nonZero: 8 });
    expect(fc).toMatchObject({ op: 'dense', params: 2570, nonZero: 640 + 10, masked: true });
    expect(fc!.sparsity).toBeCloseTo(1920 / 2570, 12);
    expect(r.params).toBe(2626);
    expect(r.nonZero).toBe(36 + 8 + 650);
    expect(r.markdown).toContain('| fc (masked) | dense | kernel [256, 10], bias [10] | 2.57k | 650 |');
    expect(r.markdown).toContain('| **total** |');
    m.dispose();
  });
});

describe('countMacs', () => {
  it('conv 3x3 cin 1 cout 4 on 8x8 same + dense: hand counts', () => {
    const m = convNet();
    const r = countMacs(m);
    expect(r.nodes).toEqual([
      { node: 'conv', op: 'conv2d', macs: 8 * 8 * 4 * 9, density: 1, effective: 2304 },
      { node: 'fc', op: 'dense', macs: 256 * 10, density: 1, effective: 2560 },
    ]);
    expect(r.dense).toBe(4864);
    expect(r.effective).toBe(4864);
    m.dispose();
  });

  it('effective MACs scale with kernel density (masks and raw zeros)', () => {
    const m = convNet();
    const mask = tf.tensor(Array.from({ length: 36 }, (_, i) => (i % 4 === 0 ? 1 : 0)), [3, 3, 1, 4]);
    m.param('conv', 'kernel')!.setMask(mask);
    mask.dispose();
    const zeros = tf.zeros([256, 10]);
    const half = tf.concat([tf.slice(m.param('fc', 'kernel')!.value, [0, 0], [128, 10]), tf.slice(zeros, [0, 0], [128, 10])], 0);
    m.param('fc', 'kernel')!.assign(half);
    tf.dispose([zeros, half]);
    const before = tf.memory().numTensors;
    const r = countMacs(m);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.dense).toBe(4864);
    expect(r.nodes[0]).toMatchObject({ density: 0.25, effective: 576 });
    expect(r.nodes[1]).toMatchObject({ density: 0.5, effective: 1280 });
    expect(r.effective).toBe(576 + 1280);
    m.dispose();
  });

  it('depthwise, grouped conv, strided conv and token-wise dense', () => {
    const b = new GraphBuilder();
    const x = b.input([8, 8, 2], { name: 'input' });
    let h = b.depthwiseConv2d(x, { kernel: 3, multiplier: 2, name: 'dw' }); // 8x8x4
    h = b.conv2d(h, { filters: 4, kernel: 1, groups: 2, name: 'grouped' }); // 8x8x4
    h = b.conv2d(h, { filters: 6, kernel: 3, strides: 2, padding: 'valid', name: 'strided' }); // 3x3x6
    h = b.reshape(h, { shape: [9, 6], name: 'tokens' });
    h = b.dense(h, { units: 5, name: 'proj' });
    const m = Model.create(b.build(h));
    const r = countMacs(m);
    const byNode = Object.fromEntries(r.nodes.map((n) => [n.node, n.macs]));
    expect(byNode).toEqual({
      dw: 8 * 8 * 2 * 2 * 9,
      grouped: 8 * 8 * 4 * 1 * 2,
      strided: 3 * 3 * 6 * 9 * 4,
      proj: 9 * 6 * 5,
    });
    expect(r.dense).toBe(2304 + 512 + 1944 + 270);
    m.dispose();
  });
});
