import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, initBackend, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_OP_IMPORTERS, graphModelProvenance, importGraphModelArtifacts, toGraphModelArtifacts } from '../src/index';
import { TfGraphBuilder } from './graph-model-builder';
import { OP_CASES } from './graph-model-cases';
import { loadStockGraphModel, seededInput, stockExecute } from './graph-model-helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, tf.reshape(b, a.shape)))).dataSync()[0]!);

describe('every TF op converter against stock tfjs-converter (wasm), on hand-written GraphModels', () => {
  it('the cases exercise every TF op of the converter table', () => {
    const covered = new Set(OP_CASES.flatMap((c) => c.ops));
    expect(Object.keys(GRAPH_OP_IMPORTERS).filter((op) => !covered.has(op))).toEqual([]);
  });

  for (const c of OP_CASES) {
    it(c.name, async () => {
      const b = new TfGraphBuilder(3);
      const outs = c.build(b);
      const art = b.build(outs);
      const ops = new Set((art.modelJson.modelTopology as { node: Array<{ op: string }> }).node.map((n) => n.op));
      for (const op of c.ops) expect(ops.has(op), op).toBe(true);
      const oracleArt = c.oracle ? (() => { const o = new TfGraphBuilder(3); return o.build(c.oracle(o)); })() : art;
      const before = tf.memory().numTensors;
      const x = seededInput(c.input.slice(1), 11);
      const xs = tf.sub(x, 0.5);
      const model = importGraphModelArtifacts(art);
      const ys = model.run(xs).outputs;
      const stock = await loadStockGraphModel(oracleArt);
      const ref = stockExecute(stock, xs, outs.map((o) => (o.includes(':') ? o : `${o}:0`)));
      ys.forEach((y, i) => expect(maxDiff(y, ref[i]!), `output ${outs[i]}`).toBeLessThan(1e-5));
      // Written back: stock tfjs-converter loads it and computes the same; names and signature survive.
      const out = await toGraphModelArtifacts(model);
      expect(out.outputNames).toEqual(outs.map((o) => (o.includes(':') && !o.endsWith(':0') ? o : `${o.replace(/:0$/, '')}:0`)));
      const back = await loadStockGraphModel(out);
      const ref2 = stockExecute(back, xs, out.outputNames);
      ys.forEach((y, i) => expect(maxDiff(y, ref2[i]!), `exported output ${outs[i]}`).toBeLessThan(1e-5));
      expect(graphModelProvenance(model)?.format).toBe('graph-model');
      [...ys, ...ref, ...ref2].forEach((t) => t.dispose());
      model.dispose();
      xs.dispose();
      stock.dispose();
      back.dispose();
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('other inputs and sources', () => {
  it('accepts tfjs io.ModelArtifacts (weightSpecs + weightData) like { modelJson, weights }', () => {
    const b = new TfGraphBuilder(3);
    const outs = OP_CASES[1]!.build(b);
    const art = b.build(outs);
    const json = art.modelJson as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
    const a = importGraphModelArtifacts(art);
    const m = importGraphModelArtifacts({ format: 'graph-model', modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: art.weights as ArrayBuffer });
    const x = seededInput(OP_CASES[1]!.input.slice(1));
    const [ya, ym] = [a.forward(x), m.forward(x)];
    expect(maxDiff(ya, ym)).toBe(0);
    [x, ya, ym].forEach((t) => t.dispose());
    a.dispose();
    m.dispose();
  });

  it('a model built in Bonsai (no GraphModel provenance) exports too: stock tfjs-converter runs it with the same outputs', async () => {
    const g = new GraphBuilder();
    const x0 = g.input([8, 8, 3], { name: 'image' });
    const c = g.relu(g.batchNorm(g.conv2d(x0, { filters: 6, kernel: 3, useBias: false, name: 'conv' }), { name: 'bn' }), { name: 'act' });
    const d = g.relu6(g.depthwiseConv2d(c, { kernel: 3, strides: 2, name: 'dw' }));
    const y = g.softmax(g.dense(g.globalAvgPool(g.add([d, d])), { units: 4, name: 'fc' }), { name: 'probs' });
    const model = Model.create(g.build(y), { seed: 4 });
    const out = await toGraphModelArtifacts(model);
    expect(out.inputNames).toEqual(['image:0']);
    expect(out.outputNames).toEqual(['probs:0']);
    const stock = await loadStockGraphModel(out);
    const x = seededInput([8, 8, 3], 2);
    const ref = stockExecute(stock, x, out.outputNames)[0]!;
    const yb = model.forward(x);
    expect(maxDiff(yb, ref)).toBeLessThan(1e-5);
    [x, ref, yb].forEach((t) => t.dispose());
    stock.dispose();
    model.dispose();
  });
});
