import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';
import { vit } from '@bonsai/models';
import { describe, expect, it } from 'vitest';
import { DependencyGraph, type InternalGroup, internalGroups, modelStats } from '../src/index';
import { maxAbsDiff, useWasmWithoutLeaks, zeroGroup } from './helpers';

useWasmWithoutLeaks();

const input = (): tf.Tensor => tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 11);

/** Zeroes the given positions along `axis` of param `name`. */
function zeroAlong(model: Model, name: string, axis: number, indices: readonly number[]): void {
  const p = model.params.get(name)!;
  const keep = new Float32Array(p.shape[axis]!).fill(1);
  for (const i of indices) keep[i] = 0;
  tf.tidy(() => p.assign(tf.mul(p.value, tf.reshape(tf.tensor1d(keep), p.shape.map((d, i) => (i === axis ? d : 1))))));
}

/** Zeroes every member of an internal group's units (Q/K/V columns, their biases, Wo rows). */
function zeroUnits(g: InternalGroup, units: number[]): void {
  for (const m of g.members(units)) zeroAlong(g.model, m.name, m.axis, m.indices);
}

/** Makes every bias of the model non-zero so that only the zeroed weights make heads vanish. */
function randomizeBiases(model: Model): void {
  let seed = 1;
  for (const p of model.params.values()) {
    if (p.shape.length === 1 && p.trainable) tf.tidy(() => p.assign(tf.randomNormal(p.shape, 0, 0.1, 'float32', seed++)));
  }
}

describe('transformer pruning (vit)', () => {
  it('zeroed heads pruned => identical outputs; numHeads updated by itself', () => {
    const m = vit({ dim: 16, heads: 4, depth: 2, patch: 7 });
    randomizeBiases(m);
    const x = input();
    const heads = internalGroups(m, { names: ['heads'] });
    expect(heads.map((g) => g.node)).toEqual(['blk1_attn', 'blk2_attn']);
    zeroUnits(heads[0]!, [1, 3]);
    zeroUnits(heads[1]!, [0]);
    const y0 = m.forward(x);
    const before = modelStats(m);
    heads[0]!.prune([1, 3]);
    heads[1]!.prune([0]);
    const y1 = m.forward(x);
    expect(maxAbsDiff(y0, y1)).toBeLessThan(1e-5);
    expect(m.graph.node('blk1_attn').attrs).toMatchObject({ numHeads: 2, headDim: 4 });
    expect(m.graph.node('blk2_attn').attrs).toMatchObject({ numHeads: 3, headDim: 4 });
    expect(m.param('blk1_attn', 'wq')!.shape).toEqual([16, 8]);
    expect(m.param('blk1_attn', 'bk')!.shape).toEqual([8]);
    expect(m.param('blk1_attn', 'wo')!.shape).toEqual([8, 16]);
    const after = modelStats(m);
    // Each removed head: 3 * (16*4 + 4) Q/K/V + 4*16 Wo params.
    expect(before.params - after.params).toBe(3 * (3 * (16 * 4 + 4) + 4 * 16));
    expect(after.macs).toBeLessThan(before.macs);
    expect(heads[0]!.explain([0, 1])).toMatch(/remove all 2 heads/);
    // Trains and runs in training mode with the new head count.
    const yt = m.forward(x, { training: true });
    expect(yt.shape).toEqual([2, 10]);
    [x, y0, y1, yt].forEach((t) => t.dispose());
    m.dispose();
  });

  it('zeroed head dims (same dims in every head, fused QKV) pruned => identical outputs; headDim updated', () => {
    const m = vit({ dim: 16, heads: 2, depth: 1, fusedQkv: true });
    randomizeBiases(m);
    const x = input();
    const [dims] = internalGroups(m, { names: ['headDims'] });
    expect(dims!.count).toBe(8);
    zeroUnits(dims!, [0, 5, 6]);
    const y0 = m.forward(x);
    dims!.prune([0, 5, 6]);
    const y1 = m.forward(x);
    expect(maxAbsDiff(y0, y1)).toBeLessThan(1e-5);
    expect(m.graph.node('blk1_attn').attrs).toMatchObject({ numHeads: 2, headDim: 5 });
    expect(m.param('blk1_attn', 'wqkv')!.shape).toEqual([16, 3 * 2 * 5]);
    [x, y0, y1].forEach((t) => t.dispose());
    m.dispose();
  });

  it('zeroed MLP hidden units pruned => identical outputs (fc1 -> gelu -> fc2)', () => {
    const m = vit({ dim: 16, heads: 4, depth: 2, mlpRatio: 2 });
    randomizeBiases(m);
    const x = input();
    const dg = DependencyGraph.build(m);
    const g = dg.group('blk2_fc1', 'out', [0, 3, 4, 31]);
    expect(g.nodes()).toEqual(['blk2_fc1', 'blk2_gelu']);
    zeroGroup(m, g);
    const y0 = m.forward(x);
    g.prune();
    const y1 = m.forward(x);
    expect(maxAbsDiff(y0, y1)).toBeLessThan(1e-5);
    expect(m.param('blk2_fc1', 'kernel')!.shape).toEqual([16, 28]);
    expect(m.param('blk2_fc2', 'kernel')!.shape).toEqual([28, 16]);
    [x, y0, y1].forEach((t) => t.dispose());
    m.dispose();
  });

  it('embedding-dim pruning slices the whole residual stream: patch conv, cls and pos embedding, every layer norm, every projection in and out', () => {
    const m = vit({ dim: 8, heads: 2, depth: 2, classToken: true });
    const orig = m.clone();
    const dg = DependencyGraph.build(m);
    const root = [...dg.groups()].find((g) => g.root === 'patch_embed')!;
    expect(root.size).toBe(8);
    const drop = [1, 4, 6];
    const keep = [0, 2, 3, 5, 7];
    dg.group('patch_embed', 'out', drop).prune();
    // Oracle: each param is the original sliced to the kept channels along the axis written here by hand.
    const axes: Record<string, number[]> = {
      'patch_embed/kernel': [3], 'patch_embed/bias': [0], 'cls_token/cls': [1], 'pos_embed/pos': [1], 'ln_final/gamma': [0], 'ln_final/beta': [0], 'head/kernel': [0],
    };
    for (const i of [1, 2]) {
      for (const r of ['ln1', 'ln2']) for (const p of ['gamma', 'beta']) axes[`blk${i}_${r}/${p}`] = [0];
      for (const p of ['wq', 'wk', 'wv']) axes[`blk${i}_attn/${p}`] = [0];
      axes[`blk${i}_attn/wo`] = [1];
      axes[`blk${i}_attn/bo`] = [0];
      axes[`blk${i}_fc1/kernel`] = [0];
      axes[`blk${i}_fc2/kernel`] = [1];
      axes[`blk${i}_fc2/bias`] = [0];
    }
    for (const [name, p] of m.params) {
      const o = orig.params.get(name)!.value;
      const want = tf.tidy(() => (axes[name] ?? []).reduce((t, a) => tf.gather(t, keep, a), o as tf.Tensor));
      expect(p.shape, name).toEqual(want.shape);
      expect(maxAbsDiff(p.value, want), name).toBe(0);
      want.dispose();
    }
    expect(m.graph.shape('blk2_add2')).toEqual([17, 5]);
    expect(m.graph.node('blk1_attn').attrs).toMatchObject({ numHeads: 2, headDim: 4 });
    const x = input();
    const y = m.forward(x);
    expect(y.shape).toEqual([2, 10]);
    [x, y].forEach((t) => t.dispose());
    orig.dispose();
    m.dispose();
  });
});
