import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, getOp, type MultiHeadAttentionAttrs } from '../src/index';
import { expectClose, useWasm } from './helpers';

beforeAll(useWasm);

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

type Mat = number[][];
const matmul = (a: Mat, b: Mat): Mat => a.map((row) => b[0]!.map((_, j) => row.reduce((acc, v, k) => acc + v * b[k]![j]!, 0)));
const toMat = (flat: readonly number[], rows: number, cols: number): Mat => Array.from({ length: rows }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
const addRow = (m: Mat, b: readonly number[]): Mat => m.map((r) => r.map((v, j) => v + b[j]!));

/** Attention of one sample x [T, D], written with plain loops (the oracle). */
function attentionByHand(x: Mat, p: Record<string, number[]>, o: { h: number; dh: number; d: number; causal: boolean; scale?: number }): Mat {
  const hd = o.h * o.dh;
  const q = addRow(matmul(x, toMat(p.wq!, o.d, hd)), p.bq!);
  const k = addRow(matmul(x, toMat(p.wk!, o.d, hd)), p.bk!);
  const v = addRow(matmul(x, toMat(p.wv!, o.d, hd)), p.bv!);
  const t = x.length;
  const ctx: Mat = Array.from({ length: t }, () => new Array<number>(hd).fill(0));
  const scale = o.scale ?? 1 / Math.sqrt(o.dh);
  for (let h = 0; h < o.h; h++) {
    for (let i = 0; i < t; i++) {
      const s: number[] = [];
      for (let j = 0; j < t; j++) {
        let dot = 0;
        for (let c = 0; c < o.dh; c++) dot += q[i]![h * o.dh + c]! * k[j]![h * o.dh + c]!;
        s.push(o.causal && j > i ? -Infinity : dot * scale);
      }
      const mx = Math.max(...s);
      const e = s.map((z) => Math.exp(z - mx));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < t; j++) for (let c = 0; c < o.dh; c++) ctx[i]![h * o.dh + c]! += (e[j]! / sum) * v[j]![h * o.dh + c]!;
    }
  }
  return addRow(matmul(ctx, toMat(p.wo!, hd, o.d)), p.bo!);
}

function mhaModel(t: number, d: number, attrs: Record<string, unknown>): Model {
  const b = new GraphBuilder();
  const x = b.input([t, d], { name: 'x' });
  return Model.create(b.build(b.op('multiHeadAttention', [x], attrs as never, 'mha')), { seed: 5 });
}

function setParams(m: Model, node: string, vals: Record<string, number[]>): void {
  for (const [role, v] of Object.entries(vals)) {
    const t = tf.tensor(v, m.param(node, role)!.shape);
    m.param(node, role)!.assign(t);
    t.dispose();
  }
}

const T = 3;
const D = 4;
const H = 2;
const DH = 3;
const HD = H * DH;
const params = {
  wq: values(D * HD, 1), wk: values(D * HD, 2), wv: values(D * HD, 3), wo: values(HD * D, 4),
  bq: values(HD, 5), bk: values(HD, 6), bv: values(HD, 7), bo: values(D, 8),
};
const input = values(2 * T * D, 9);

function byHand(causal: boolean, scale?: number): number[] {
  return [0, 1].flatMap((s) => attentionByHand(toMat(input.slice(s * T * D, (s + 1) * T * D), T, D), params, { h: H, dh: DH, d: D, causal, ...(scale ? { scale } : {}) }).flat());
}

function run(m: Model): Float32Array {
  return tf.tidy(() => m.forward(tf.tensor(input, [2, T, D])).dataSync() as Float32Array);
}

describe('multiHeadAttention (wasm)', () => {
  it('separate Q/K/V matches an explicit-loop computation, with and without a causal mask', () => {
    const before = tf.memory().numTensors;
    for (const causal of [false, true]) {
      const m = mhaModel(T, D, { numHeads: H, headDim: DH, causal });
      setParams(m, 'mha', params);
      expectClose(run(m), byHand(causal), 1e-5);
      m.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fused QKV (q | k | v columns) computes the same as separate projections', () => {
    const m = mhaModel(T, D, { numHeads: H, headDim: DH, fusedQkv: true });
    const cat = (a: number[], b: number[], c: number[], rows: number, cols: number): number[] =>
      Array.from({ length: rows }, (_, i) => [...a.slice(i * cols, (i + 1) * cols), ...b.slice(i * cols, (i + 1) * cols), ...c.slice(i * cols, (i + 1) * cols)]).flat();
    setParams(m, 'mha', { wqkv: cat(params.wq, params.wk, params.wv, D, HD), bqkv: [...params.bq, ...params.bk, ...params.bv], wo: params.wo, bo: params.bo });
    expectClose(run(m), byHand(false), 1e-5);
    m.dispose();
  });

  it('an explicit scale replaces 1/sqrt(headDim)', () => {
    const m = mhaModel(T, D, { numHeads: H, headDim: DH, scale: 0.25 });
    setParams(m, 'mha', params);
    expectClose(run(m), byHand(false, 0.25), 1e-5);
    m.dispose();
  });

  it('shapes, params, MACs and channel rule', () => {
    const spec = getOp('multiHeadAttention');
    const a = spec.normalizeAttrs({ numHeads: H, headDim: DH }) as MultiHeadAttentionAttrs;
    expect(spec.inferShape([[T, D]], a)).toEqual([T, D]);
    expect(spec.inferShape([[T, D]], { ...a, outDim: 7 })).toEqual([T, 7]);
    const ps = spec.paramShapes([[T, D]], a);
    expect(ps.wq).toMatchObject({ shape: [D, HD], inAxis: 0 });
    expect(ps.wo).toMatchObject({ shape: [HD, D], outAxis: 1 });
    expect(ps.bo).toMatchObject({ shape: [D], outAxis: 0 });
    expect(ps.bq!.outAxis).toBeUndefined();
    // 3 projections T*D*HD, scores and weighted values T*T*HD each, output T*HD*D.
    expect(spec.macs([[T, D]], [T, D], a)).toBe(3 * T * D * HD + 2 * T * T * HD + T * HD * D);
    expect(spec.channelRule([[T, D]], a)).toEqual({ kind: 'reduce' });
    expect(() => spec.inferShape([[T, D, 1]], a)).toThrow(/tokens \[T, D\]/);
    expect(() => spec.normalizeAttrs({ numHeads: 2 })).toThrow(/headDim/);
    expect(() => spec.normalizeAttrs({ numHeads: 2, headDim: 2, outDim: 1.5 })).toThrow(/outDim/);
  });

  it('internal groups: a head owns its Q/K/V columns, biases and Wo rows; a head dim is the same dim in every head', () => {
    const spec = getOp('multiHeadAttention');
    const a = spec.normalizeAttrs({ numHeads: H, headDim: DH }) as MultiHeadAttentionAttrs;
    const [heads, dims] = spec.internalGroups!([[T, D]], a);
    expect(heads!.name).toBe('heads');
    expect(heads!.count).toBe(H);
    expect(heads!.slices(1)).toContainEqual({ role: 'wq', axis: 1, indices: [3, 4, 5] });
    expect(heads!.slices(1)).toContainEqual({ role: 'bv', axis: 0, indices: [3, 4, 5] });
    expect(heads!.slices(1)).toContainEqual({ role: 'wo', axis: 0, indices: [3, 4, 5] });
    expect(dims!.count).toBe(DH);
    expect(dims!.slices(2)).toContainEqual({ role: 'wk', axis: 1, indices: [2, 5] });
    const fused = spec.normalizeAttrs({ numHeads: H, headDim: DH, fusedQkv: true }) as MultiHeadAttentionAttrs;
    expect(spec.internalGroups!([[T, D]], fused)[0]!.slices(0)).toContainEqual({ role: 'wqkv', axis: 1, indices: [0, 1, 2, 6, 7, 8, 12, 13, 14] });
    expect(spec.adaptInternal!(a, 'heads', [1])).toMatchObject({ numHeads: 1, headDim: DH });
    expect(spec.adaptInternal!(a, 'headDims', [0, 2])).toMatchObject({ numHeads: H, headDim: 2, scale: 1 / Math.sqrt(DH) });
  });
});

describe('token embedding ops (wasm)', () => {
  it('addPositionEmbedding adds pos [T, D]; prependClassToken puts cls first', () => {
    const b = new GraphBuilder();
    const x = b.input([2, 3], { name: 'x' });
    const m = Model.create(b.build(b.op('prependClassToken', [b.op('addPositionEmbedding', [x], {}, 'pos')], {}, 'cls')), { seed: 1 });
    setParams(m, 'pos', { pos: [1, 2, 3, 4, 5, 6] });
    setParams(m, 'cls', { cls: [-1, -2, -3] });
    const out = tf.tidy(() => m.forward(tf.ones([2, 2, 3])).dataSync());
    expectClose(out, [-1, -2, -3, 2, 3, 4, 5, 6, 7, -1, -2, -3, 2, 3, 4, 5, 6, 7]);
    expect(m.graph.shape('cls')).toEqual([3, 3]);
    expect(m.graph.paramSpecs('pos').pos).toMatchObject({ shape: [2, 3], outAxis: 1 });
    expect(m.graph.paramSpecs('cls').cls).toMatchObject({ shape: [1, 3], outAxis: 1 });
    m.dispose();
  });
});
