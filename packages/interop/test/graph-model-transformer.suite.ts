/**
 * Transformer patterns of tfjs-converter GraphModels (issue 14): a pre-norm transformer block
 * written node by node the way the converter writes Keras LayerNormalization (non-fused) and
 * GELU (exact and tanh), with BatchMatMulV2 + Softmax attention, imports onto `layerNorm`,
 * `geluExact`, `gelu`, `batchMatMul` and `softmax`, and computes what stock tfjs-converter
 * computes on the same file. Chains that do not match fail with a typed error naming the node.
 * (A suite of graph-model.test.ts: one module load.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, initBackend, Model } from '@bonsai/core';
import { vit } from '@bonsai/models';
import { magnitude, Pruner } from '@bonsai/prune';
import { beforeAll, describe, expect, it } from 'vitest';
import { importGraphModelArtifacts, InteropError, toGraphModelArtifacts } from '../src/index';
import { attr, TfGraphBuilder } from './graph-model-builder';
import { loadStockGraphModel, seededInput, stockExecute } from './graph-model-helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const T = 5;
const D = 8;
const keep = { keep_dims: attr.b(true), Tidx: attr.type('DT_INT32') };

/** Keras LayerNormalization as the converter writes it (tf.nn.batch_normalization's form, or Keras 3's). */
function layerNorm(b: TfGraphBuilder, name: string, x: string, o: { axes?: number[]; keras3?: boolean } = {}): string {
  const axes = b.ints(`${name}/axes`, o.axes ?? [-1]);
  const mean = b.op(`${name}/moments/mean`, 'Mean', [x, axes], keep);
  const sq = b.op(`${name}/moments/SquaredDifference`, 'SquaredDifference', [x, mean]);
  const variance = b.op(`${name}/moments/variance`, 'Mean', [sq, axes], keep);
  const add = b.op(`${name}/batchnorm/add`, 'AddV2', [variance, b.constant(`${name}/eps`, Float32Array.of(1e-3), [])]);
  const rsqrt = b.op(`${name}/batchnorm/Rsqrt`, 'Rsqrt', [add]);
  const s = b.op(`${name}/batchnorm/mul`, 'Mul', [rsqrt, b.random(`${name}/gamma`, [D], 0.5, 1.5)]);
  const mulX = b.op(`${name}/batchnorm/mul_1`, 'Mul', [x, s]);
  if (o.keras3) {
    // Keras 3: inputs * inv + (-mean * inv + beta).
    const neg = b.op(`${name}/Neg`, 'Neg', [mean]);
    const shift = b.op(`${name}/add_2`, 'AddV2', [b.op(`${name}/mul_3`, 'Mul', [s, neg]), b.random(`${name}/beta`, [D])]);
    return b.op(`${name}/add_3`, 'AddV2', [shift, mulX]);
  }
  const mulMean = b.op(`${name}/batchnorm/mul_2`, 'Mul', [mean, s]);
  const sub = b.op(`${name}/batchnorm/sub`, 'Sub', [b.random(`${name}/beta`, [D]), mulMean]);
  return b.op(`${name}/batchnorm/add_1`, 'AddV2', [mulX, sub]);
}

/** Keras gelu(approximate=False): 0.5 * x * (1 + erf(x / sqrt 2)). */
function geluExact(b: TfGraphBuilder, name: string, x: string): string {
  const div = b.op(`${name}/truediv`, 'RealDiv', [x, b.constant(`${name}/sqrt2`, Float32Array.of(Math.SQRT2), [])]);
  const erf = b.op(`${name}/Erf`, 'Erf', [div]);
  const add = b.op(`${name}/add`, 'AddV2', [b.constant(`${name}/one`, Float32Array.of(1), []), erf]);
  const half = b.op(`${name}/mul`, 'Mul', [b.constant(`${name}/half`, Float32Array.of(0.5), []), x]);
  return b.op(`${name}/mul_1`, 'Mul', [half, add]);
}

/** Keras gelu(approximate=True): 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))). */
function geluTanh(b: TfGraphBuilder, name: string, x: string): string {
  const pow = b.op(`${name}/Pow`, 'Pow', [x, b.constant(`${name}/three`, Float32Array.of(3), [])]);
  const cube = b.op(`${name}/mul`, 'Mul', [b.constant(`${name}/c`, Float32Array.of(0.044715), []), pow]);
  const sum = b.op(`${name}/add`, 'AddV2', [x, cube]);
  const arg = b.op(`${name}/mul_1`, 'Mul', [b.constant(`${name}/k`, Float32Array.of(Math.sqrt(2 / Math.PI)), []), sum]);
  const th = b.op(`${name}/Tanh`, 'Tanh', [arg]);
  const add = b.op(`${name}/add_1`, 'AddV2', [th, b.constant(`${name}/one`, Float32Array.of(1), [])]);
  const inner = b.op(`${name}/mul_2`, 'Mul', [add, b.constant(`${name}/half`, Float32Array.of(0.5), [])]);
  return b.op(`${name}/mul_3`, 'Mul', [x, inner]);
}

const dense = (b: TfGraphBuilder, name: string, x: string, units: number): string =>
  b.op(`${name}/BiasAdd`, 'BiasAdd', [b.op(`${name}/MatMul`, 'BatchMatMulV2', [x, b.random(`${name}/kernel`, [D, units])], { adj_x: attr.b(false), adj_y: attr.b(false) }), b.random(`${name}/bias`, [units])], { data_format: attr.s('NHWC') });

/** x + attn(LN(x)); then h + fc2(gelu(fc1(LN(h)))) with an exact and a tanh GELU. */
function block(b: TfGraphBuilder): string {
  const x = b.placeholder('tokens', [1, T, D]);
  const ln1 = layerNorm(b, 'ln1', x);
  const [q, k, v] = ['q', 'k', 'v'].map((r) => dense(b, `attn/${r}`, ln1, D)) as [string, string, string];
  const scores = b.op('attn/scores', 'BatchMatMulV2', [q, k], { adj_x: attr.b(false), adj_y: attr.b(true) });
  const scaled = b.op('attn/scaled', 'Mul', [scores, b.constant('attn/scale', Float32Array.of(1 / Math.sqrt(D)), [])]);
  const probs = b.op('attn/Softmax', 'Softmax', [scaled]);
  const ctx = b.op('attn/context', 'BatchMatMulV2', [probs, v], { adj_x: attr.b(false), adj_y: attr.b(false) });
  const h = b.op('add1', 'AddV2', [x, dense(b, 'attn/out', ctx, D)]);
  const ln2 = layerNorm(b, 'ln2', h, { keras3: true });
  const g1 = geluExact(b, 'gelu1', dense(b, 'fc1', ln2, D));
  const g2 = geluTanh(b, 'gelu2', dense(b, 'fc2', g1, D));
  return b.op('add2', 'AddV2', [h, dense(b, 'fc3', g2, D)]);
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, tf.reshape(b, a.shape)))).dataSync()[0]!);

describe('transformer patterns of converter GraphModels', () => {
  it('a pre-norm block imports onto layerNorm / geluExact / gelu / batchMatMul / softmax and matches stock tfjs-converter (1e-4)', async () => {
    const b = new TfGraphBuilder(5);
    const out = block(b);
    const art = b.build([`${out}:0`]);
    const before = tf.memory().numTensors;
    const model = importGraphModelArtifacts(art);
    const ops = model.graph.nodes.map((n) => n.op);
    expect(ops.filter((op) => op === 'layerNorm')).toHaveLength(2);
    expect(ops).toContain('geluExact');
    expect(ops).toContain('gelu');
    expect(ops.filter((op) => op === 'batchMatMul')).toHaveLength(2);
    expect(ops).toContain('softmax');
    for (const gone of ['mean', 'rsqrt', 'tanh']) expect(ops, gone).not.toContain(gone);
    // Pattern nodes keep the chain's output name; gamma / beta are the Consts' values.
    const ln1 = model.graph.nodes.find((n) => n.id === 'ln1/batchnorm/add_1')!;
    expect(ln1.op).toBe('layerNorm');
    expect(ln1.attrs.epsilon).toBeCloseTo(1e-3, 9);
    const stock = await loadStockGraphModel(art);
    const x = tf.tidy(() => tf.sub(seededInput([T, D], 13), 0.5));
    const y = model.forward(x);
    const [ref] = stockExecute(stock, x, [`${out}:0`]);
    expect(maxDiff(y, ref!)).toBeLessThan(1e-4);
    expect(tf.tidy(() => tf.max(tf.abs(ref!)).dataSync()[0])).toBeGreaterThan(0.1);
    [x, y, ref!].forEach((t) => t.dispose());
    stock.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an Erf outside the GELU pattern is a typed error naming the node', () => {
    const b = new TfGraphBuilder(5);
    const x = b.placeholder('x', [1, T, D]);
    const e = b.op('lonely/Erf', 'Erf', [x]);
    expect(() => importGraphModelArtifacts(b.build([`${e}:0`]))).toThrow(InteropError);
    expect(() => importGraphModelArtifacts(b.build([`${e}:0`]))).toThrow(/node "lonely\/Erf": op "Erf"/);
  });

  it('a layer-norm chain whose mean is also used elsewhere is not fused: SquaredDifference is refused by name', () => {
    const b = new TfGraphBuilder(5);
    const x = b.placeholder('x', [1, T, D]);
    const y = layerNorm(b, 'ln', x);
    const out = b.op('out', 'AddV2', [y, b.op('leak', 'Mul', ['ln/moments/mean', b.constant('two', Float32Array.of(2), [])])]);
    expect(() => importGraphModelArtifacts(b.build([`${out}:0`]))).toThrow(/node "ln\/moments\/SquaredDifference": op "SquaredDifference"/);
  });

  it('a layer norm over a non-last axis is refused naming the node and the axes', () => {
    const b = new TfGraphBuilder(5);
    const y = layerNorm(b, 'ln', b.placeholder('x', [1, T, D]), { axes: [1] });
    expect(() => importGraphModelArtifacts(b.build([`${y}:0`]))).toThrow(/node "ln\/batchnorm\/add_1".*axes \[1\]/);
  });
});

describe('transformer ops exported to a GraphModel', () => {
  /** A seeded ViT whose blocks lost heads (and MLP units) through the Pruner, with non-trivial norms. */
  function prunedVit(): Model {
    const m = vit({ dim: 16, heads: 4, depth: 2, patch: 7, mlpRatio: 2, seed: 11 });
    for (const [name, p] of m.params) {
      if (!/ln.*\/(gamma|beta)$/.test(name)) continue;
      const v = tf.tidy(() => tf.add(p.value, tf.randomUniform(p.shape, -0.3, 0.3, 'float32', name.length)));
      p.assign(v);
      v.dispose();
    }
    new Pruner(m, { importance: magnitude(), ratio: 0.25, pruneHeads: true, headRatio: 0.5, ignored: ['patch_embed', 'head'] }).step();
    return m;
  }

  it('a pruned ViT (layerNorm, gelu, multiHeadAttention, batchMatMul-based attention) runs in stock tfjs-converter with Bonsai\'s outputs (1e-4) and imports back', async () => {
    const before = tf.memory().numTensors;
    const m = prunedVit();
    expect(m.graph.node('blk1_attn').attrs.numHeads).toBe(2);
    const art = await toGraphModelArtifacts(m);
    const tfOps = new Set(art.modelJson.modelTopology.node.map((n) => n.op));
    for (const op of ['Mean', 'SquaredDifference', 'Rsqrt', 'Tanh', 'Pow', 'BatchMatMulV2', 'Softmax']) expect(tfOps, op).toContain(op);
    const x = tf.tidy(() => tf.concat([seededInput([28, 28, 1], 3), seededInput([28, 28, 1], 4)]));
    const want = m.forward(x);
    const stock = await loadStockGraphModel(art);
    const [got] = stockExecute(stock, x, art.outputNames);
    expect(maxDiff(want, got!)).toBeLessThan(1e-4);
    expect(tf.tidy(() => tf.max(tf.abs(want)).dataSync()[0])).toBeGreaterThan(0.1);
    // Back through Bonsai's import: the chains fuse onto layerNorm / gelu again; attention comes back as its ops.
    const back = importGraphModelArtifacts(art);
    const ops = back.graph.nodes.map((n) => n.op);
    expect(ops.filter((op) => op === 'layerNorm')).toHaveLength(5);
    expect(ops.filter((op) => op === 'gelu')).toHaveLength(2);
    expect(ops.filter((op) => op === 'batchMatMul')).toHaveLength(4);
    const again = back.forward(x);
    expect(maxDiff(want, again)).toBeLessThan(1e-4);
    [x, want, got!, again].forEach((t) => t.dispose());
    stock.dispose();
    back.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('geluExact, a fused-QKV causal attention and batchMatMul export to stock ops with equal outputs', async () => {
    const before = tf.memory().numTensors;
    const b = new GraphBuilder();
    const x = b.input([5, 8], { name: 'tokens' });
    const a = b.op('multiHeadAttention', [b.layerNorm(x, { name: 'ln' })], { numHeads: 2, headDim: 4, fusedQkv: true, causal: true }, 'attn');
    const g = b.op('geluExact', [a], {}, 'act');
    const s = b.op('batchMatMul', [g, x], { transposeB: true }, 'gram');
    const m = Model.create(b.build(s), { seed: 5 });
    for (const p of m.params.values()) {
      if (p.shape.length !== 1) continue;
      const v = tf.randomUniform(p.shape, -0.5, 0.5, 'float32', p.shape[0]);
      p.assign(v);
      v.dispose();
    }
    const art = await toGraphModelArtifacts(m);
    expect(art.modelJson.modelTopology.node.map((n) => n.op)).toContain('Erf');
    const xin = tf.randomUniform([2, 5, 8], -1, 1, 'float32', 9);
    const want = m.forward(xin);
    const stock = await loadStockGraphModel(art);
    const [got] = stockExecute(stock, xin, art.outputNames);
    expect(maxDiff(want, got!)).toBeLessThan(1e-4);
    const back = importGraphModelArtifacts(art);
    expect(back.graph.nodes.map((n) => n.op)).toContain('geluExact');
    const again = back.forward(xin);
    expect(maxDiff(want, again)).toBeLessThan(1e-4);
    [xin, want, got!, again].forEach((t) => t.dispose());
    stock.dispose();
    back.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a class-token ViT runs in stock tfjs-converter; its token-axis ConcatV2 is refused on import with a typed error naming the node', async () => {
    const m = vit({ dim: 8, heads: 2, depth: 1, classToken: true, seed: 2 });
    const cls = m.param('cls_token', 'cls')!;
    const v = tf.randomUniform(cls.shape, -1, 1, 'float32', 1);
    cls.assign(v);
    v.dispose();
    const art = await toGraphModelArtifacts(m);
    const x = tf.concat([seededInput([28, 28, 1], 5), seededInput([28, 28, 1], 6)]);
    const want = m.forward(x);
    const stock = await loadStockGraphModel(art);
    const [got] = stockExecute(stock, x, art.outputNames);
    expect(maxDiff(want, got!)).toBeLessThan(1e-4);
    expect(() => importGraphModelArtifacts(art)).toThrow(InteropError);
    expect(() => importGraphModelArtifacts(art)).toThrow(/node "cls_token" \(ConcatV2\)/);
    [x, want, got!].forEach((t) => t.dispose());
    stock.dispose();
    m.dispose();
  });
});
