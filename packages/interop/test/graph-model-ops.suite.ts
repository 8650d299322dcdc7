import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
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
