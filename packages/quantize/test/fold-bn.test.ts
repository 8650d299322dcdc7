import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldablePairs, foldBatchNorm } from '../src/index';
import { maxAbsDiff, outputOf, randomizeBatchNorm, tinyCnn, useWasm } from './helpers';

beforeAll(useWasm);

describe('foldBatchNorm', () => {
  it('removes BN after conv2d, depthwise and dense; outputs equal within 1e-4 in inference mode', () => {
    const model = tinyCnn(3);
    randomizeBatchNorm(model, 9);
    const x = tf.randomUniform([5, 8, 8, 1], 0, 1, 'float32', 4);
    const folded = foldBatchNorm(model);
    expect(folded.graph.nodes.filter((n) => n.op === 'batchNorm')).toEqual([]);
    expect(model.graph.nodes.filter((n) => n.op === 'batchNorm').length).toBe(4);
    expect(folded.graph.node('conv1').attrs.useBias).toBe(true);
    expect(folded.graph.node('relu1').inputs).toEqual(['conv1']);
    const a = outputOf(model, x);
    const b = outputOf(folded, x);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
    expect(maxAbsDiff(a, new Float32Array(a.length))).toBeGreaterThan(1e-2); // non-trivial outputs
    tf.dispose(x);
    model.dispose();
    folded.dispose();
  });

  it('keeps masks (pruned weights stay zero) and adds to an existing bias', () => {
    const b = new GraphBuilder();
    const x = b.input([4], { name: 'x' });
    const y = b.batchNorm(b.dense(x, { units: 3, name: 'fc' }), { name: 'bn' });
    const model = Model.create(b.build(y), { seed: 2 });
    randomizeBatchNorm(model, 1);
    const bias = tf.tensor([0.3, -0.2, 0.1]);
    model.param('fc', 'bias')!.assign(bias);
    const mask = tf.tensor([[1, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]]);
    model.param('fc', 'kernel')!.setMask(mask);
    const folded = foldBatchNorm(model);
    const k = folded.param('fc', 'kernel')!;
    expect(k.mask).toBeDefined();
    const eff = tf.tidy(() => k.effective().dataSync());
    [1, 3, 8, 10, 11].forEach((i) => expect(Math.abs(eff[i]!)).toBe(0));
    const input = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
    expect(maxAbsDiff(outputOf(model, input), outputOf(folded, input))).toBeLessThan(1e-5);
    expect(folded.graph.outputs).toEqual(['fc']);
    tf.dispose([bias, mask, input]);
    model.dispose();
    folded.dispose();
  });

  it('leaves BN that cannot be folded (input shared with another consumer)', () => {
    const b = new GraphBuilder();
    const x = b.input([4, 4, 2], { name: 'x' });
    const c = b.conv2d(x, { filters: 2, kernel: 1, name: 'c' });
    const bn = b.batchNorm(c, { name: 'bn' });
    const model = Model.create(b.build(b.add([bn, c], { name: 'sum' })), { seed: 1 });
    expect(foldablePairs(model.graph)).toEqual([]);
    const folded = foldBatchNorm(model);
    expect(folded.graph.has('bn')).toBe(true);
    model.dispose();
    folded.dispose();
  });

  it('leaks no tensors and does not modify the input model', () => {
    const model = tinyCnn(4);
    randomizeBatchNorm(model);
    const before = tf.memory().numTensors;
    const k0 = model.param('conv1', 'kernel')!.value.dataSync().slice();
    const folded = foldBatchNorm(model);
    folded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(model.param('conv1', 'kernel')!.value.dataSync())).toEqual(Array.from(k0));
    model.dispose();
  });
});
