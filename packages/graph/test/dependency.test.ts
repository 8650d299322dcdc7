import * as tf from '@tensorflow/tfjs-core';
import { adam, BonsaiError, train, } from '@bonsai/core';
import { concatNet, lenet5, mobileNet, resnet20, smallCnn, vit } from '@bonsai/models';
import { describe, expect, it } from 'vitest';
import { DependencyGraph, modelStats, type Group, type Member } from '../src/index';
import { useWasmWithoutLeaks } from './helpers';

useWasmWithoutLeaks();

const member = (g: Group, name: string, side: 'out' | 'in'): Member | undefined => g.members().find((m) => m.name === name && m.side === side);
const slice = (g: Group, node: string): readonly number[] | undefined => g.slices().find((s) => s.node === node)?.indices;
const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i));

describe('index mapping', () => {
  it('residual adds couple a whole stage: stem, every block output conv and the next stage inputs', () => {
    const m = resnet20({ base: 4 });
    const g = DependencyGraph.build(m).group('stem_conv', 'out', [1]);
    for (const n of ['stem_conv', 's1b1b_conv', 's1b2b_conv', 's1b3b_conv']) expect(member(g, `${n}/kernel`, 'out')?.indices).toEqual([1]);
    for (const n of ['stem_bn', 's1b1b_bn', 's1b3b_bn']) for (const r of ['gamma', 'beta', 'movingMean', 'movingVariance']) expect(member(g, `${n}/${r}`, 'out')?.indices).toEqual([1]);
    for (const n of ['s1b1a_conv', 's1b2a_conv', 's1b3a_conv', 's2b1a_conv', 's2b1sc_conv']) expect(member(g, `${n}/kernel`, 'in')).toMatchObject({ axis: 2, indices: [1] });
    expect(slice(g, 's1b3_add')).toEqual([1]);
    // The inner conv of a block is its own group; stage 2 is another group.
    expect(member(g, 's1b1a_conv/kernel', 'out')).toBeUndefined();
    expect(member(g, 's2b1b_conv/kernel', 'out')).toBeUndefined();
    m.dispose();
  });

  it('concat and split map channels by offset; grouped convs couple local channel l of every group', () => {
    const m = concatNet();
    const dg = DependencyGraph.build(m);
    // inc_group (8 filters, 2 groups): unit = filters {1, 5}; concat offset 8 + 12 = 20; split [20, 20] -> piece 1 at 0.
    const g = dg.group('inc_group', 'out', [1]);
    expect(g.idxs).toEqual([1, 5]);
    expect(slice(g, 'inc_concat')).toEqual([21, 25]);
    expect(slice(g, 'dense_concat')).toEqual([21, 25]);
    expect(slice(g, 'split_1')).toEqual([1, 5]);
    expect(slice(g, 'split_0')).toBeUndefined();
    expect(member(g, 'dense_conv/kernel', 'in')?.indices).toEqual([21, 25]);
    expect(member(g, 'path1/kernel', 'in')?.indices).toEqual([1, 5]);
    expect(member(g, 'path0/kernel', 'in')).toBeUndefined();
    // dense_conv (12 filters) sits at offset 28 in dense_concat -> split_1 channel 8 + c.
    const d = dg.group('dense_conv', 'out', [2]);
    expect(slice(d, 'dense_concat')).toEqual([30]);
    expect(member(d, 'path1/kernel', 'in')?.indices).toEqual([10]);
    // The stem feeds a 2-group conv: channels 3 and 3 + 8 go together; the grouped kernel loses local index 3.
    const s = dg.group('stem', 'out', [3]);
    expect(s.idxs).toEqual([3, 11]);
    expect(member(s, 'inc_group/kernel', 'in')).toMatchObject({ axis: 2, indices: [3] });
    expect(member(s, 'inc_1x1/kernel', 'in')?.indices).toEqual([3, 11]);
    m.dispose();
  });

  it('flatten expands channel c into features p * C + c (NHWC)', () => {
    const m = lenet5();
    const g = DependencyGraph.build(m).group('conv2', 'out', [3]);
    expect(member(g, 'fc1/kernel', 'in')).toMatchObject({ axis: 0, indices: range(25, (p) => p * 16 + 3) });
    m.dispose();
  });

  it('depthwise convs couple input and output channels', () => {
    const m = mobileNet({ widths: [8, 16, 16, 24] });
    const g = DependencyGraph.build(m).group('stem', 'out', [2]);
    expect(member(g, 'block1_dw/kernel', 'in')).toMatchObject({ axis: 2, indices: [2] });
    expect(member(g, 'block1_dwbn/gamma', 'out')?.indices).toEqual([2]);
    expect(member(g, 'block1_pw/kernel', 'in')).toMatchObject({ axis: 2, indices: [2] });
    expect(member(g, 'block2_dw/kernel', 'in')).toBeUndefined();
    m.dispose();
  });
});

describe('physical pruning', () => {
  it('param and MAC counts match a hand count (small CNN)', () => {
    const m = smallCnn({ widths: [4, 8], hidden: 16 });
    const before = modelStats(m);
    // conv 3x3 no bias; BN: 2 trainable per channel; fc1 reads 7*7*8 features.
    const hand = 9 * 1 * 4 + 8 + 9 * 4 * 4 + 8 + 9 * 4 * 8 + 16 + 9 * 8 * 8 + 16 + 7 * 7 * 8 * 16 + 16 + 16 * 10 + 10;
    expect(before.trainableParams).toBe(hand);
    const dg = DependencyGraph.build(m);
    dg.group('conv1', 'out', [0, 2]).prune();
    let after = modelStats(m);
    expect(before.trainableParams - after.trainableParams).toBe(9 * 1 * 2 + 2 * 2 + 9 * 2 * 4);
    expect(before.macs - after.macs).toBe(28 * 28 * 2 * 9 * 1 + 28 * 28 * 4 * 9 * 2);
    expect(after.params).toBe(after.trainableParams + 2 * (2 + 4 + 8 + 8));
    const mid = after;
    dg.group('conv4', 'out', [1, 4, 7]).prune();
    after = modelStats(m);
    expect(mid.trainableParams - after.trainableParams).toBe(9 * 8 * 3 + 2 * 3 + 7 * 7 * 3 * 16);
    expect(mid.macs - after.macs).toBe(14 * 14 * 3 * 9 * 8 + 7 * 7 * 3 * 16);
    expect(m.graph.node('conv4').attrs.filters).toBe(5);
    expect(m.param('fc1', 'kernel')!.shape).toEqual([7 * 7 * 5, 16]);
    m.dispose();
  });

  it('keeps the right channels: the pruned model equals the kept slice of the original', () => {
    const m = lenet5();
    const before = m.param('conv2', 'kernel')!.value.arraySync() as number[][][][];
    const fc1 = m.param('fc1', 'kernel')!.value.arraySync() as number[][];
    DependencyGraph.build(m).group('conv2', 'out', [0, 15]).prune();
    const k = m.param('conv2', 'kernel')!.value.arraySync() as number[][][][];
    expect(k[1]![2]![3]).toEqual(before[1]![2]![3]!.slice(1, 15));
    const f = m.param('fc1', 'kernel')!.value.arraySync() as number[][];
    // Feature (p, c') of the pruned fc1 is feature p * 16 + (c' + 1) of the original.
    expect(f[2 * 14 + 4]).toEqual(fc1[2 * 16 + 5]);
    m.dispose();
  });

  it('slices attached masks and split sizes; grouped convs stay divisible', () => {
    const m = concatNet();
    const mask = tf.onesLike(m.param('path1', 'kernel')!.value);
    m.param('path1', 'kernel')!.setMask(mask);
    mask.dispose();
    const dg = DependencyGraph.build(m);
    dg.prune([dg.group('inc_group', 'out', [0, 3]), dg.group('dense_conv', 'out', [11])]);
    expect(m.param('path1', 'kernel')!.mask!.shape).toEqual([3, 3, 15, 16]);
    expect(m.graph.node('split_0').attrs.sizes).toEqual([20, 15]);
    expect(m.graph.node('inc_group').attrs.filters).toBe(4);
    expect(m.param('inc_group', 'kernel')!.shape).toEqual([3, 3, 8, 4]);
    const x = tf.zeros([1, 28, 28, 1]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 10]);
    [x, y].forEach((t) => t.dispose());
    m.dispose();
  });

  it('groups stay valid while other groups are pruned (stable unit ids)', () => {
    const m = concatNet();
    const dg = DependencyGraph.build(m);
    const a = dg.group('inc_1x1', 'out', [7]);
    const b = dg.group('inc_3x3', 'out', [0]);
    a.prune();
    expect(slice(b, 'inc_concat')).toEqual([7]);
    b.prune();
    expect(dg.width('inc_concat')).toBe(26);
    expect(() => a.prune()).toThrow(/already pruned/);
    m.dispose();
  });

  it('training continues after pruning (optimizer state resets on the new shapes)', async () => {
    const m = smallCnn({ widths: [4, 8], hidden: 16 });
    const opt = adam({ lr: 1e-3 });
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 3);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10));
    await train(m, { x, y }, { optimizer: opt, epochs: 1, batchSize: 8 });
    DependencyGraph.build(m).group('conv2', 'out', [1]).prune();
    const h = await train(m, { x, y }, { optimizer: opt, epochs: 1, batchSize: 8 });
    expect(Number.isFinite(h.epochLosses[0])).toBe(true);
    [x, y].forEach((t) => t.dispose());
    opt.dispose();
    m.dispose();
  });
});

describe('check and groups', () => {
  it('refuses to empty a layer, touch graph outputs or cross barriers, and prune() changes nothing then', () => {
    const m = smallCnn({ widths: [4, 8], hidden: 16 });
    const dg = DependencyGraph.build(m);
    const all = dg.group('conv1', 'out', [0, 1, 2, 3]);
    expect(dg.check(all)).toBe(false);
    expect(dg.explain(all)).toMatch(/remove all 4 channels of node "conv1"/);
    expect(() => all.prune()).toThrow(BonsaiError);
    expect(m.param('conv1', 'kernel')!.shape).toEqual([3, 3, 1, 4]);
    expect(dg.check(dg.group('conv1', 'out', [0, 1, 2]))).toBe(true);
    expect(dg.explain(dg.group('fc2', 'out', [0]))).toMatch(/graph output "fc2"/);
    expect(dg.explain(dg.group('conv1', 'in', [0]))).toMatch(/graph input "input"/);
    m.dispose();
    const v = vit({ dim: 8, heads: 2 });
    const vdg = DependencyGraph.build(v);
    expect(vdg.check(vdg.group('patch_embed', 'out', [0]))).toBe(true);
    expect(vdg.check(vdg.group('blk1_fc1', 'out', [0]))).toBe(true);
    v.dispose();
  });

  it('groups(): ignored nodes, maxRatio and roundTo limits', () => {
    const m = smallCnn({ widths: [4, 8], hidden: 16 });
    const dg = DependencyGraph.build(m);
    expect([...dg.groups({ ignored: ['bn2', 'fc1'] })].map((g) => g.root)).toEqual(['conv1', 'conv3', 'conv4']);
    const fc1 = [...dg.groups({ maxRatio: 0.5, roundTo: 4 })].find((g) => g.root === 'fc1')!;
    const budget = fc1.budget();
    for (let i = 0; i < fc1.size; i++) budget.tryAdd(i);
    expect(budget.selected.length).toBe(8);
    const pick = fc1.budget();
    for (let i = 0; i < 7; i++) pick.tryAdd(i);
    expect(pick.finish().size).toBe(4); // 16 - 7 = 9 remaining -> rounded up to 12 -> remove 4
    // Without limits the budget stops one short of emptying the layer.
    const free = [...dg.groups()].find((g) => g.root === 'conv1')!.budget();
    for (let i = 0; i < 4; i++) free.tryAdd(i);
    expect(free.selected).toEqual([0, 1, 2]);
    expect(() => dg.groups({ roundTo: 0 }).next()).toThrow(/roundTo/);
    // The options are checked on the call, before any group is built (the Pruner's constructor relies on it).
    expect(() => dg.groups({ roundTo: 1.5 })).toThrow(/roundTo/);
    expect(() => dg.groups({ maxRatio: 0 })).toThrow(/maxRatio/);
    m.dispose();
  });

  it('isomorphic groups share a signature', () => {
    const m = resnet20({ base: 4 });
    const keys = new Map([...DependencyGraph.build(m).groups({ isomorphic: true })].map((g) => [g.root, g.isomorphicKey]));
    expect(keys.get('s1b1a_conv')).toBe(keys.get('s1b2a_conv'));
    expect(keys.get('s2b2a_conv')).toBe(keys.get('s2b3a_conv'));
    expect(keys.get('s2b1a_conv')).not.toBe(keys.get('s2b2a_conv'));
    m.dispose();
  });

  it('toString names the root, every node and every param slice', () => {
    const m = lenet5();
    const s = DependencyGraph.build(m).group('conv1', 'out', [2]).toString();
    expect(s).toContain('Group rooted at "conv1": 1 unit(s), root channels [2] of 6');
    expect(s).toMatch(/pool1 \(maxPool\)\s+1\/6\s+\[2\]/);
    expect(s).toMatch(/conv2\/kernel \[5, 5, 6, 16\]\s+axis 2 \(in\)\s+\[2\]/);
    m.dispose();
  });
});
