import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, crossEntropy, initBackend, type Model } from '@bonsai/core';
import { internalGroups } from '@bonsai/graph';
import { vit } from '@bonsai/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeadSelection, headImportance, headOutputNorm, magnitude, Pruner, taylor } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

/** L1 of head h's weights, read straight from the param arrays (the oracle). */
function headL1ByHand(m: Model, node: string, h: number, dh: number): number {
  let s = 0;
  for (const role of ['wq', 'wk', 'wv']) {
    const p = m.param(node, role)!;
    const [rows, cols] = p.shape as [number, number];
    const v = p.value.dataSync();
    for (let r = 0; r < rows; r++) for (let c = h * dh; c < (h + 1) * dh; c++) s += Math.abs(v[r * cols + c]!);
  }
  const wo = m.param(node, 'wo')!;
  const v = wo.value.dataSync();
  const d = wo.shape[1]!;
  for (let r = h * dh; r < (h + 1) * dh; r++) for (let c = 0; c < d; c++) s += Math.abs(v[r * d + c]!);
  return s;
}

/** Multiplies head h's Q/K/V columns, biases and Wo rows by `f` (0: zeroes the head). */
function scaleHead(m: Model, node: string, h: number, f: number): void {
  for (const g of internalGroups(m, { names: ['heads'] }).filter((x) => x.node === node)) {
    for (const mem of g.members([h])) {
      const p = m.params.get(mem.name)!;
      const keep = new Float32Array(p.shape[mem.axis]!).fill(1);
      for (const i of mem.indices) keep[i] = f;
      tf.tidy(() => p.assign(tf.mul(p.value, tf.reshape(tf.tensor1d(keep), p.shape.map((d, i) => (i === mem.axis ? d : 1))))));
    }
  }
}

/** Zeroes head h's Q/K/V columns, biases and Wo rows. */
const zeroHead = (m: Model, node: string, h: number): void => scaleHead(m, node, h, 0);

/** Per head, sum of |w * dL/dw| over its Wq/Wk/Wv columns and Wo rows, from gradients taken here (the oracle). */
function headTaylorByHand(m: Model, node: string, heads: number, dh: number, x: tf.Tensor, y: tf.Tensor): number[] {
  const roles = ['wq', 'wk', 'wv', 'wo'];
  const vars = roles.map((r) => m.param(node, r)!.value);
  const { value, grads } = tf.variableGrads(() => crossEntropy(m.run(x, { fuse: false }).output, y), vars);
  const out = new Array<number>(heads).fill(0);
  roles.forEach((r, k) => {
    const w = vars[k]!.dataSync();
    const g = grads[vars[k]!.name]!.dataSync();
    const [rows, cols] = vars[k]!.shape as [number, number];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[Math.floor((r === 'wo' ? i : j) / dh)]! += Math.abs(w[i * cols + j]! * g[i * cols + j]!);
  });
  value.dispose();
  tf.dispose(Object.values(grads));
  return out;
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('Pruner: attention heads and head dims', () => {
  it('headImportance is the L1 of each head\'s weights', () => {
    const m = vit({ dim: 16, heads: 4, depth: 1 });
    const [g] = internalGroups(m, { names: ['heads'] });
    const scores = headImportance(g!);
    for (let h = 0; h < 4; h++) expect(scores[h]).toBeCloseTo(headL1ByHand(m, 'blk1_attn', h, 4), 2);
    m.dispose();
  });

  it('pruneHeads removes the zeroed (least important) heads: identical outputs, numHeads read back from the graph', () => {
    const before = tf.memory().numTensors;
    const m = vit({ dim: 16, heads: 4, depth: 2 });
    zeroHead(m, 'blk1_attn', 2);
    zeroHead(m, 'blk1_attn', 3);
    zeroHead(m, 'blk2_attn', 0);
    zeroHead(m, 'blk2_attn', 1);
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 2);
    const y0 = m.forward(x);
    const pruner = new Pruner(m, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: 0.5 });
    expect(pruner.step()).toBe(true);
    const y1 = m.forward(x);
    expect(maxAbsDiff(y0, y1)).toBeLessThan(1e-5);
    expect(m.graph.node('blk1_attn').attrs).toMatchObject({ numHeads: 2, headDim: 4 });
    expect(m.graph.node('blk2_attn').attrs).toMatchObject({ numHeads: 2, headDim: 4 });
    // Channels untouched (ratio 0), nothing left to do.
    expect(m.param('blk1_fc1', 'kernel')!.shape).toEqual([16, 32]);
    expect(pruner.step()).toBe(false);
    [x, y0, y1].forEach((t) => t.dispose());
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the heads with the largest L2, iteratively, together with channel pruning', () => {
    const m = vit({ dim: 16, heads: 4, depth: 1, seed: 3 });
    const orig = m.clone();
    const [g] = internalGroups(orig, { names: ['heads'] });
    const l2 = headImportance(g!, { p: 2 });
    const top2 = [...l2.keys()].sort((a, b) => l2[b]! - l2[a]!).slice(0, 2).sort((a, b) => a - b);
    const pruner = new Pruner(m, { importance: magnitude(), ratio: 0.25, pruneHeads: true, headRatio: 0.5, headImportance: { p: 2 }, iterativeSteps: 2 });
    pruner.step();
    expect(m.graph.node('blk1_attn').attrs.numHeads).toBe(3);
    pruner.step();
    expect(m.graph.node('blk1_attn').attrs.numHeads).toBe(2);
    // The kept heads' Wo rows are the original rows of the top-2 heads (restricted to the kept channels).
    const woKept = m.param('blk1_attn', 'wo')!.shape;
    expect(woKept[0]).toBe(8);
    expect(m.param('blk1_fc1', 'kernel')!.shape[1]).toBe(24);
    // Compare the Wq rows of a kept channel: the remaining columns are the top-2 heads' columns.
    const dg = pruner.dg;
    expect(dg.width('patch_embed')).toBe(12);
    const wq = m.param('blk1_attn', 'wq')!.value;
    const origWq = orig.param('blk1_attn', 'wq')!.value;
    const cols = top2.flatMap((h) => [4 * h, 4 * h + 1, 4 * h + 2, 4 * h + 3]);
    const want = tf.tidy(() => tf.gather(origWq, cols, 1));
    // Every kept row of wq is one of the original rows of `want`.
    const got = wq.arraySync() as number[][];
    const rows = want.arraySync() as number[][];
    for (const r of got) expect(rows.some((o) => o.every((v, i) => Math.abs(v - r[i]!) < 1e-7))).toBe(true);
    want.dispose();
    const x = tf.randomUniform([1, 28, 28, 1], 0, 1, 'float32', 2);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 10]);
    [x, y].forEach((t) => t.dispose());
    orig.dispose();
    m.dispose();
  });

  it('pruneHeadDims removes the same dims in every head; headDim updated', () => {
    const m = vit({ dim: 16, heads: 2, depth: 1 });
    const pruner = new Pruner(m, { importance: magnitude(), ratio: 0, pruneHeadDims: true, headRatio: 0.5 });
    pruner.step();
    expect(m.graph.node('blk1_attn').attrs).toMatchObject({ numHeads: 2, headDim: 4, scale: 1 / Math.sqrt(8) });
    expect(m.param('blk1_attn', 'wv')!.shape).toEqual([16, 8]);
    m.dispose();
  });

  it('refuses a bad headRatio', () => {
    const m = vit({ dim: 8, heads: 2, depth: 1 });
    expect(() => new Pruner(m, { importance: magnitude(), pruneHeads: true, headRatio: 1 })).toThrow(ConfigError);
    expect(() => new Pruner(m, { importance: magnitude(), pruneHeads: true, headRatio: 1 })).toThrow(/headRatio/);
    m.dispose();
  });

  it('taylor() scores heads by the summed |w * dL/dw| of their weights and is the heads criterion by default', () => {
    const before = tf.memory().numTensors;
    const m = vit({ dim: 16, heads: 4, depth: 1, seed: 4 });
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 5);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10));
    const want = headTaylorByHand(m, 'blk1_attn', 4, 4, x, y);
    const imp = taylor();
    imp.accumulate(m, [{ x: tf.clone(x), y: tf.clone(y) }]);
    const [g] = internalGroups(m, { names: ['heads'] });
    const got = imp.scoreInternal(g!);
    for (let h = 0; h < 4; h++) expect(got[h]).toBeCloseTo(want[h]!, 5);
    // Taylor and L1 disagree on this model, so the pruned heads tell which criterion was used.
    const l1 = headImportance(g!);
    const lowest2 = (s: ArrayLike<number>): number[] => [...Array.from(s).keys()].sort((a, b) => s[a]! - s[b]!).slice(0, 2).sort();
    const keptTaylor = [0, 1, 2, 3].filter((h) => !lowest2(got).includes(h));
    const p = new Pruner(m, { importance: imp, ratio: 0, pruneHeads: true, headRatio: 0.5 });
    const sel = p.planHeads();
    expect(sel.map((s) => [s.root, [...s.units]])).toEqual([['blk1_attn', lowest2(got)]]);
    expect(lowest2(got)).not.toEqual(lowest2(l1));
    const woBefore = m.param('blk1_attn', 'wo')!.value.arraySync() as number[][];
    expect(p.step()).toBe(true);
    expect(m.graph.node('blk1_attn').attrs.numHeads).toBe(2);
    const woAfter = m.param('blk1_attn', 'wo')!.value.arraySync() as number[][];
    expect(woAfter).toEqual(keptTaylor.flatMap((h) => woBefore.slice(4 * h, 4 * h + 4)));
    // The sums went stale with the shapes: the Pruner reset them.
    expect(imp.batches).toBe(0);
    [x, y].forEach((t) => t.dispose());
    imp.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('globalHeads ranks heads across blocks (each keeps one); local ranking takes the same share of every block', () => {
    const make = (): Model => {
      const m = vit({ dim: 16, heads: 4, depth: 2, seed: 6 });
      for (const h of [0, 1, 2, 3]) scaleHead(m, 'blk1_attn', h, 0.01);
      return m;
    };
    const global = make();
    new Pruner(global, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: 0.5, globalHeads: true }).step();
    // 4 of the 8 heads go: three of blk1's tiny heads (one must stay), then blk2's weakest.
    expect(['blk1_attn', 'blk2_attn'].map((n) => global.graph.node(n).attrs.numHeads)).toEqual([1, 3]);
    const local = make();
    new Pruner(local, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: 0.5 }).step();
    expect(['blk1_attn', 'blk2_attn'].map((n) => local.graph.node(n).attrs.numHeads)).toEqual([2, 2]);
    // `global` (channels) turns global head ranking on too.
    const both = make();
    new Pruner(both, { importance: magnitude(), ratio: 0, global: true, pruneHeads: true, headRatio: 0.5 }).step();
    expect(both.graph.node('blk1_attn').attrs.numHeads).toBe(1);
    [global, local, both].forEach((m) => m.dispose());
  });

  it('iterativeSteps removes the planned whole heads at every step (linear: 4 of 8 heads over 3 steps = 1, 2, 1; over 4 steps = 1 each)', () => {
    const m = vit({ dim: 16, heads: 4, depth: 2, seed: 8 });
    const heads = (): number[] => ['blk1_attn', 'blk2_attn'].map((n) => m.graph.node(n).attrs.numHeads as number);
    // Plan by hand: 2 + 2 heads go; after step s the linear schedule has removed round(4 * s / 3) of them.
    const run = (steps: number, globalHeads: boolean): { removed: number[]; perBlock: number[][]; after: boolean } => {
      const c = m.clone();
      const p = new Pruner(c, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: 0.5, iterativeSteps: steps, globalHeads });
      const count = (): number[] => ['blk1_attn', 'blk2_attn'].map((n) => c.graph.node(n).attrs.numHeads as number);
      const removed: number[] = [];
      const perBlock: number[][] = [];
      for (let s = 0; s < steps; s++) {
        const before = count();
        expect(p.step()).toBe(true);
        expect(p.currentStep).toBe(s + 1);
        removed.push(before[0]! + before[1]! - count()[0]! - count()[1]!);
        perBlock.push(count());
      }
      const after = p.step();
      c.dispose();
      return { removed, perBlock, after };
    };
    const local3 = run(3, false);
    expect(local3.removed).toEqual([1, 2, 1]);
    // Local ranking: every block ends at 2 of 4, and no block runs ahead by more than one head.
    expect(local3.perBlock).toEqual([[3, 4], [2, 3], [2, 2]]);
    expect(local3.after).toBe(false);
    expect(run(4, false).removed).toEqual([1, 1, 1, 1]);
    expect(run(3, true).removed).toEqual([1, 2, 1]);
    expect(heads()).toEqual([4, 4]);
    m.dispose();
  });

  it('stepInteractive yields one HeadSelection per attention node; the caller prunes or skips it', () => {
    const m = vit({ dim: 16, heads: 4, depth: 2, seed: 7 });
    const p = new Pruner(m, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: 0.5 });
    const seen: string[] = [];
    for (const g of p.stepInteractive()) {
      expect(g).toBeInstanceOf(HeadSelection);
      seen.push(g.toString());
      if (g.root === 'blk1_attn') g.prune();
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^heads \[\d, \d\] of "blk1_attn" \(4 -> 2\)$/);
    expect(['blk1_attn', 'blk2_attn'].map((n) => m.graph.node(n).attrs.numHeads)).toEqual([2, 4]);
    expect([...p.stepInteractive()]).toEqual([]);
    m.dispose();
  });
});

describe('headOutputNorm', () => {
  it('scores each head by the summed per-token L2 norm of its term softmax(q k^T / sqrt(dh)) v Wo (computed here by hand)', () => {
    const before = tf.memory().numTensors;
    const m = vit({ dim: 8, heads: 2, depth: 1, seed: 9 });
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 4);
    const want = tf.tidy(() => {
      const ln = m.run(x, { capture: ['blk1_ln1'], fuse: false }).captured.blk1_ln1!;
      const p = (r: string): tf.Tensor => m.param('blk1_attn', r)!.value;
      const proj = (r: string): tf.Tensor => tf.add(tf.matMul(tf.reshape(ln, [-1, 8]), p(`w${r}`)), p(`b${r}`));
      const [q, k, v] = ['q', 'k', 'v'].map(proj) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return [0, 1].map((h) => {
        const cols = (t: tf.Tensor): tf.Tensor => tf.reshape(tf.slice(t, [0, 4 * h], [-1, 4]), [3, 16, 4]);
        const probs = tf.softmax(tf.div(tf.matMul(cols(q), cols(k), false, true), 2));
        const term = tf.matMul(tf.reshape(tf.matMul(probs, cols(v)), [-1, 4]), tf.slice(p('wo'), [4 * h, 0], [4, -1]));
        return tf.sum(tf.norm(term, 'euclidean', -1)).dataSync()[0]!;
      });
    });
    const imp = headOutputNorm();
    imp.accumulate(m, [{ x: tf.clone(x), y: tf.zeros([3, 10]) }]);
    const [g] = internalGroups(m, { names: ['heads'] });
    const got = imp.scoreInternal(g!);
    for (const h of [0, 1]) expect(got[h]).toBeCloseTo(want[h]!, 3);
    expect(m.param('blk1_attn', 'wo')!.mask).toBeUndefined();
    // The Pruner removes the head with the smaller term (its Wo rows go); scores must be re-accumulated after a step.
    const kept = want[0]! > want[1]! ? 0 : 1;
    const woKept = tf.tidy(() => tf.slice(m.param('blk1_attn', 'wo')!.value, [4 * kept, 0], [4, -1]));
    new Pruner(m, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: 0.5, headImportance: imp }).step();
    expect(m.graph.node('blk1_attn').attrs.numHeads).toBe(1);
    expect(maxAbsDiff(m.param('blk1_attn', 'wo')!.value, woKept)).toBe(0);
    woKept.dispose();
    expect(() => imp.scoreInternal(internalGroups(m, { names: ['heads'] })[0]!)).toThrow(ConfigError);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
