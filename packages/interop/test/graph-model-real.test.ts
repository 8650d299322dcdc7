import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import { DependencyGraph, modelStats } from '@bonsai/graph';
import { magnitude, Pruner } from '@bonsai/prune';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphModelProvenance, importGraphModel, importGraphModelArtifacts, toGraphModelArtifacts } from '../src/index';
import { everyOtherUnit, loadStockGraphModel, photoInput, readArtifacts, REAL_MODELS, seededInput, stockExecute, zeroGroup } from './graph-model-helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, tf.reshape(b, a.shape)))).dataSync()[0]!);

/**
 * Tolerance between two float32 evaluations of the same model in a different op order (fused vs
 * unfused bias): 1e-4 absolute, or 1e-6 of the output's largest magnitude for outputs in the
 * hundreds (landmark pixel coordinates).
 */
const tolerance = (ref: tf.Tensor): number => Math.max(1e-4, 1e-6 * tf.tidy(() => tf.max(tf.abs(ref)).dataSync()[0]!));

/** TF tensor names of a model's graph outputs (from the import provenance). */
const outputNames = (m: Model): string[] => m.graph.outputs.map((id) => `${graphModelProvenance(m)!.tfNames.get(id)!.replace(/:0$/, '')}:0`);

async function stockOutputs(art: Parameters<typeof loadStockGraphModel>[0], x: tf.Tensor, names: readonly string[]): Promise<tf.Tensor[]> {
  const stock = await loadStockGraphModel(art);
  const ys = stockExecute(stock, x, names);
  stock.dispose();
  return ys;
}

describe.each(Object.entries(REAL_MODELS))('real GraphModel %s (@vladmandic/human 3.3.6, vendored)', (name, m) => {
  it('imports from the model.json path and its folder: outputs match stock tfjs-converter (1e-4) on a seeded input and a real photo; the dense export keeps signature and op names and runs in stock tfjs with the same outputs', async () => {
    const before = tf.memory().numTensors;
    const original = await readArtifacts(m.file);
    const model = await importGraphModel(m.file);
    const fromDir = await importGraphModel(dirname(m.file));
    expect(fromDir.graph.nodes.map((n) => n.id)).toEqual(model.graph.nodes.map((n) => n.id));
    fromDir.dispose();
    const out = await toGraphModelArtifacts(model);
    expect(out.outputNames).toEqual(outputNames(model));
    const sig = (j: Record<string, unknown>) => JSON.stringify(j.signature ?? (j.userDefinedMetadata as Record<string, unknown> | undefined)?.signature);
    expect(sig(out.modelJson)).toBe(sig(original.modelJson));
    const opNames = (j: Record<string, unknown>) => new Set((j.modelTopology as { node: Array<{ name: string; op: string }> }).node.filter((n) => n.op !== 'Const').map((n) => n.name));
    const originalNames = opNames(original.modelJson);
    for (const n of opNames(out.modelJson as unknown as Record<string, unknown>)) expect(originalNames.has(n), n).toBe(true);
    const [stock, exported] = [await loadStockGraphModel(original), await loadStockGraphModel(out)];
    for (const x of [seededInput(m.input), await photoInput(m.input)]) {
      const ref = stockExecute(stock, x, out.outputNames);
      const back = stockExecute(exported, x, out.outputNames);
      const ys = model.run(x).outputs;
      expect(ys.length).toBe(ref.length);
      ys.forEach((y, i) => expect(maxDiff(y, ref[i]!), `Bonsai vs stock original ${out.outputNames[i]}`).toBeLessThanOrEqual(1e-4));
      back.forEach((y, i) => expect(maxDiff(y, ys[i]!), `stock exported vs Bonsai ${out.outputNames[i]}`).toBeLessThanOrEqual(tolerance(ref[i]!)));
      [x, ...ys, ...ref, ...back].forEach((t) => t.dispose());
    }
    stock.dispose();
    exported.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('exports quantized kernels (uint8; float16 too for the float32 model): stock output equals Bonsai on the re-imported (dequantized) file', async () => {
    const model = await importGraphModel(m.file);
    const x = seededInput(m.input, 5);
    const dense = (await toGraphModelArtifacts(model)).weights.byteLength;
    // float16 on the float32 model (the others already ship float16 weights), uint8 on all.
    for (const quantize of name === 'emotion' ? (['float16', 'uint8'] as const) : (['uint8'] as const)) {
      const out = await toGraphModelArtifacts(model, { quantize });
      expect(out.weights.byteLength).toBeLessThan(dense * (quantize === 'uint8' ? 0.3 : 0.55));
      const back = importGraphModelArtifacts(out);
      const ys = back.run(x).outputs;
      const ref = await stockOutputs(out, x, out.outputNames);
      ys.forEach((t, i) => expect(maxDiff(t, ref[i]!), `${quantize} ${out.outputNames[i]}`).toBeLessThanOrEqual(tolerance(ref[i]!)));
      [...ys, ...ref].forEach((t) => t.dispose());
      back.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it('pruning exactly the zeroed channels (every other unit of every group) leaves every output unchanged (1e-5); the pruned export runs in stock tfjs with the same outputs (1e-4)', async () => {
    const model = await importGraphModel(m.file);
    const x = seededInput(m.input, 9);
    const dg = DependencyGraph.build(model);
    const picks = everyOtherUnit(dg);
    expect(picks.length).toBeGreaterThan(0);
    for (const p of picks) zeroGroup(model, p);
    const y0 = model.run(x).outputs;
    const params0 = modelStats(model).params;
    dg.prune(picks);
    expect(modelStats(model).params).toBeLessThan(params0);
    const y1 = model.run(x).outputs;
    y0.forEach((t, i) => expect(maxDiff(t, y1[i]!)).toBeLessThanOrEqual(1e-5));
    const out = await toGraphModelArtifacts(model);
    const ref = await stockOutputs(out, x, out.outputNames);
    y1.forEach((t, i) => expect(maxDiff(t, ref[i]!), out.outputNames[i]).toBeLessThanOrEqual(tolerance(ref[i]!)));
    [x, ...y0, ...y1, ...ref].forEach((t) => t.dispose());
    model.dispose();
  });
});

it("50% structured pruning of the MobileNetV2-class handlandmark-lite (Pruner, L1): MACs drop below 0.35x and the export runs in stock tfjs with Bonsai's pruned outputs (1e-4)", async () => {
  const m = REAL_MODELS.handlandmark;
  const model = await importGraphModel(m.file);
  const macs0 = modelStats(model).macs;
  new Pruner(model, { importance: magnitude(), ratio: 0.5 }).step();
  expect(modelStats(model).macs / macs0).toBeLessThan(0.35);
  const out = await toGraphModelArtifacts(model);
  const x = await photoInput(m.input);
  const ys = model.run(x).outputs;
  const ref = await stockOutputs(out, x, out.outputNames);
  ys.forEach((t, i) => expect(maxDiff(t, ref[i]!), out.outputNames[i]).toBeLessThanOrEqual(tolerance(ref[i]!)));
  [x, ...ys, ...ref].forEach((t) => t.dispose());
  model.dispose();
});
