/**
 * Transformer patterns of tfjs-converter GraphModels (issue 14): a pre-norm transformer block
 * written node by node the way the converter writes Keras LayerNormalization (non-fused) and
 * GELU (exact and tanh), with BatchMatMulV2 + Softmax attention, imports onto `layerNorm`,
 * `geluExact`, `gelu`, `batchMatMul` and `softmax`, and computes what stock tfjs-converter
 * computes on the same file. Chains that do not match fail with a typed error naming the node.
 * (A suite of graph-model.test.ts: one module load.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importGraphModelArtifacts, InteropError } from '../src/index';
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

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

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
