import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, initBackend, SerializationError } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportGraphModel, importGraphModel, importGraphModelArtifacts, InteropError, supportedGraphOps, toGraphModelArtifacts } from '../src/index';
import { attr, convAttr, TfGraphBuilder } from './graph-model-builder';
import { FIXTURES, readArtifacts, REAL_MODELS } from './graph-model-helpers';
import { readFileSync } from 'node:fs';

beforeAll(async () => {
  await initBackend('wasm');
});

function caught(fn: () => unknown): BonsaiError {
  const before = tf.memory().numTensors;
  try {
    fn();
  } catch (e) {
    expect(tf.memory().numTensors).toBe(before);
    expect(e).toBeInstanceOf(BonsaiError);
    return e as BonsaiError;
  }
  throw new Error('expected a typed error');
}

const conv = (b: TfGraphBuilder, x: string): string => b.op('conv', 'Conv2D', [x, b.random('w', [1, 1, 3, 4])], convAttr());

describe('GraphModel import refuses what Bonsai cannot represent, naming format, node, op and the supported list', () => {
  it('an unsupported op (NonMaxSuppressionV5, a non-float data path)', () => {
    const b = new TfGraphBuilder();
    const x = b.placeholder('image', [1, 4, 4, 3]);
    const y = b.op('nms', 'NonMaxSuppressionV5', [conv(b, x)]);
    const e = caught(() => importGraphModelArtifacts(b.build([`${y}:0`])));
    expect(e).toBeInstanceOf(InteropError);
    expect(e.message).toContain('GraphModel node "nms": op "NonMaxSuppressionV5" is not supported; supported ops: ');
    for (const op of supportedGraphOps()) expect(e.message).toContain(op);
    expect(e.details).toMatchObject({ nodeId: 'nms', op: 'NonMaxSuppressionV5' });
  });

  it('control flow (a loop is a cycle; Merge / Enter are named as control flow)', () => {
    const b = new TfGraphBuilder();
    const x = b.placeholder('x', [1, 4, 4, 3]);
    b.op('merge', 'Merge', [x, 'next']);
    b.op('next', 'NextIteration', ['merge']);
    const e = caught(() => importGraphModelArtifacts(b.build(['next:0'])));
    expect(e.message).toMatch(/GraphModel node "(merge|next)" \((Merge|NextIteration)\): the graph has a cycle here \(control flow loops are not supported\)/);
    const c = new TfGraphBuilder();
    const y = c.op('enter', 'Enter', [c.placeholder('x', [1, 2, 2, 1])]);
    expect(caught(() => importGraphModelArtifacts(c.build([`${y}:0`]))).message).toContain('op "Enter" (control flow) is not supported');
  });

  it('dynamic shapes and non-float inputs', () => {
    const b = new TfGraphBuilder();
    conv(b, b.placeholder('x', [-1, -1, -1, 3]));
    expect(caught(() => importGraphModelArtifacts(b.build(['conv:0']))).message).toContain('GraphModel node "x" (Placeholder): input shape [-1, -1, -1, 3] has unknown per-sample dimensions (dynamic shapes are not supported)');
    const art = new TfGraphBuilder();
    art.placeholder('x', [1, 2, 2, 3]);
    const json = art.build(['x:0']).modelJson as { modelTopology: { node: Array<{ attr: Record<string, unknown> }> } };
    json.modelTopology.node[0]!.attr.dtype = attr.type('DT_INT32');
    expect(caught(() => importGraphModelArtifacts({ modelJson: json, weights: new ArrayBuffer(0) })).message).toContain('input dtype DT_INT32 is not supported');
    const r = new TfGraphBuilder();
    const rx = r.placeholder('x', [-1, 2, 2, 3]);
    r.op('rs', 'Reshape', [rx, r.ints('s', [-1, -1])]);
    expect(caught(() => importGraphModelArtifacts(r.build(['rs:0']))).message).toContain('GraphModel node "rs" (Reshape): target shape [-1, -1] changes or infers the batch axis');
  });

  it('layouts and axes Bonsai does not model: NCHW, a non-channel concat, a Const where an activation belongs', () => {
    const b = new TfGraphBuilder();
    const x = b.placeholder('x', [1, 4, 4, 3]);
    b.op('c', 'Conv2D', [x, b.random('w', [1, 1, 3, 2])], { ...convAttr(), data_format: attr.s('NCHW') });
    expect(caught(() => importGraphModelArtifacts(b.build(['c:0']))).message).toContain('GraphModel node "c" (Conv2D): data_format "NCHW" is not supported');
    const c = new TfGraphBuilder();
    const y = c.placeholder('x', [1, 4, 4, 3]);
    c.op('cat', 'ConcatV2', [y, y, c.ints('axis', [1], [])], { N: attr.i(2) });
    expect(caught(() => importGraphModelArtifacts(c.build(['cat:0']))).message).toContain('only the last (channel) axis is supported');
    const d = new TfGraphBuilder();
    d.placeholder('x', [1, 4, 4, 3]);
    d.op('relu', 'Relu', [d.random('k', [1, 4, 4, 3])]);
    expect(caught(() => importGraphModelArtifacts(d.build(['relu:0']))).message).toContain('is a Const where an activation is expected');
  });

  it('bad files: a Const missing from the manifest, truncated weights, wrong format, bad dtypes', async () => {
    const b = new TfGraphBuilder();
    conv(b, b.placeholder('x', [1, 4, 4, 3]));
    const art = b.build(['conv:0']);
    const json = structuredClone(art.modelJson) as { weightsManifest: Array<{ weights: Array<{ name: string; dtype: string }> }> };
    json.weightsManifest[0]!.weights = [];
    expect(caught(() => importGraphModelArtifacts({ modelJson: json, weights: new ArrayBuffer(0) }))).toBeInstanceOf(SerializationError);
    expect(caught(() => importGraphModelArtifacts({ modelJson: art.modelJson, weights: (art.weights as ArrayBuffer).slice(0, 10) })).message).toContain('truncated or mismatched');
    expect(caught(() => importGraphModelArtifacts({ modelJson: { ...art.modelJson, format: 'layers-model' }, weights: art.weights })).message).toContain('expected "graph-model"');
    const bad = structuredClone(art.modelJson) as typeof json;
    bad.weightsManifest[0]!.weights[0]!.dtype = 'string';
    expect(caught(() => importGraphModelArtifacts({ modelJson: bad, weights: art.weights })).message).toContain('is not supported (float32 and int32 are)');
    await expect(importGraphModel(join(tmpdir(), 'bonsai-no-such-model', 'model.json'))).rejects.toBeInstanceOf(BonsaiError);
  });

  it('weight paths stay inside the model folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bonsai-gm-'));
    const art = await readArtifacts(REAL_MODELS.emotion.file);
    const json = structuredClone(art.modelJson) as { weightsManifest: Array<{ paths: string[] }> };
    json.weightsManifest[0]!.paths = ['../emotion.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await expect(importGraphModel(dir)).rejects.toThrow(/escapes the model folder/);
  });
});

describe('real GraphModels Bonsai cannot represent are refused (topology only vendored; the weights are zeros of the manifest size)', () => {
  const zeroWeights = (name: string) => {
    const modelJson = JSON.parse(readFileSync(join(FIXTURES, 'refused', `${name}.json`), 'utf8')) as { weightsManifest: Array<{ weights: Array<{ shape: number[]; quantization?: { dtype: string } }> }> };
    const bytes = modelJson.weightsManifest.flatMap((g) => g.weights).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * (w.quantization ? (w.quantization.dtype === 'uint8' ? 1 : 2) : 4), 0);
    return { modelJson, weights: new ArrayBuffer(bytes) };
  };

  it('facemesh-attention (BatchMatMulV2 attention with Gather/Cast/Floor index math): the first unsupported op and the others are named', () => {
    const e = caught(() => importGraphModelArtifacts(zeroWeights('facemesh-attention-pinto')));
    expect(e).toBeInstanceOf(InteropError);
    expect(e.message).toContain('GraphModel node "norm_1/Sum": op "Sum" is not supported (nor are GatherV2, Max, Min, Floor, Cast, GatherNd, Prod, used by other nodes); supported ops: ');
    expect(e.message).toContain('supported ops: ');
  });

  it('handtrack (a while loop with TensorLists and NonMaxSuppressionV5): control flow is refused', () => {
    const e = caught(() => importGraphModelArtifacts(zeroWeights('handtrack')));
    expect(e.message).toMatch(/^GraphModel node "[^"]+" \((Switch|Merge|Enter|NextIteration|LoopCond|Exit)\): the graph has a cycle here \(control flow loops are not supported\)/);
  });
});

describe('GraphModel export refuses ops tfjs has no kernel for', () => {
  it('grouped conv2d names node and op; bad options are ConfigErrors', async () => {
    const b = new TfGraphBuilder();
    const x = b.placeholder('x', [1, 4, 4, 4]);
    b.op('g', 'Conv2D', [x, b.random('w', [3, 3, 2, 4])], convAttr());
    const model = importGraphModelArtifacts(b.build(['g:0']));
    await expect(toGraphModelArtifacts(model)).rejects.toThrow('GraphModel node "g" (conv2d): cannot be written as a GraphModel: grouped convolution has no tfjs kernel');
    await expect(toGraphModelArtifacts(model, { quantize: 'int8' as never })).rejects.toThrow(/"quantize" must be/);
    await expect(exportGraphModel(model, join(tmpdir(), 'x'), { weightsFile: '../w.bin' })).rejects.toThrow(/"weightsFile" must be a plain file name/);
    model.dispose();
  });
});
