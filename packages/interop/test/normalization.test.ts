import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model } from '@bonsai/core';
import { importLayersArtifacts, InteropError, toLayersArtifacts } from '../src/index';
import { loadWithTfjs, maxAbsDiff, randomizeWeights, tfjsArtifacts, tfjsPredict } from './helpers';

const MEAN = [0.2, 0.5, 0.9];
const VARIANCE = [0.04, 2.25, 1e-16]; // the last: a constant channel (std below Keras' epsilon 1e-7)

/** A real tfjs-layers model (conv, flatten, dense) saved, with a Keras `Normalization` layer put first as tf.keras writes it. */
async function withNormalization(): Promise<{ stock: tfl.LayersModel; modelJson: Record<string, unknown>; weights: ArrayBuffer }> {
  const stock = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [5, 5, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ units: 3, name: 'fc' }),
    ],
  });
  randomizeWeights(stock, 7);
  const art = await tfjsArtifacts(stock);
  const topology = structuredClone(art.modelJson.modelTopology) as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
  const first = topology.config.layers[0]!.config;
  const batchInputShape = first.batch_input_shape;
  delete first.batch_input_shape;
  topology.config.layers.unshift({
    class_name: 'Normalization',
    config: { name: 'normalization', trainable: true, dtype: 'float32', batch_input_shape: batchInputShape, axis: [-1], mean: null, variance: null, invert: false },
  });
  const manifest = (art.modelJson.weightsManifest as Array<{ weights: Array<Record<string, unknown>> }>)[0]!;
  const norm = new Uint8Array(4 * 7);
  new Float32Array(norm.buffer, 0, 6).set([...MEAN, ...VARIANCE]);
  new Int32Array(norm.buffer, 24, 1).set([1000]);
  const weights = new Uint8Array(norm.length + art.weights.byteLength);
  weights.set(norm);
  weights.set(new Uint8Array(art.weights), norm.length);
  const specs = [
    { name: 'normalization/mean', shape: [3], dtype: 'float32' },
    { name: 'normalization/variance', shape: [3], dtype: 'float32' },
    { name: 'normalization/count', shape: [], dtype: 'int32' },
    ...manifest.weights,
  ];
  return { stock, modelJson: { ...art.modelJson, modelTopology: topology, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }, weights: weights.buffer };
}

describe('Keras Normalization (adapted mean/variance)', () => {
  beforeAll(() => initBackend('wasm'));

  it('imports as frozen per-channel constants; outputs equal stock tfjs on hand-normalized inputs', async () => {
    const { stock, modelJson, weights } = await withNormalization();
    const model = await importLayersArtifacts({ modelJson, weights });
    expect(model.graph.nodes.slice(1, 3).map((n) => [n.id, n.op])).toEqual([['normalization_mean', 'subConst'], ['normalization', 'divConst']]);
    expect(model.trainableParams().some((p) => p.nodeId.startsWith('normalization'))).toBe(false);
    // hand computation: (x - mean) / max(sqrt(variance), 1e-7)
    const std = VARIANCE.map((v) => Math.max(Math.sqrt(v), 1e-7));
    expect(Array.from(model.param('normalization', 'value')!.value.dataSync())).toEqual(std.map((v) => Math.fround(v)));
    const raw = Float32Array.from({ length: 2 * 75 }, (_, i) => ((i * 37) % 101) / 50);
    for (let i = 2; i < raw.length; i += 3) raw[i] = MEAN[2]!; // the constant channel holds its mean
    const normalized = raw.map((v, i) => (v - Math.fround(MEAN[i % 3]!)) / std[i % 3]!); // float32 means, as stored
    const [x, xn] = [tf.tensor4d(raw, [2, 5, 5, 3]), tf.tensor4d(normalized, [2, 5, 5, 3])];
    const before = tf.memory().numTensors;
    const [want, got] = [tfjsPredict(stock, xn), model.predict(x)];
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    tf.dispose([want, got]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, xn]);
    model.dispose();
    stock.dispose();
  });

  it('exports as per-channel Rescaling layers that stock tfjs-layers loads with the same outputs, and re-imports frozen', async () => {
    const { stock, modelJson, weights } = await withNormalization();
    const model = await importLayersArtifacts({ modelJson, weights });
    const art = await toLayersArtifacts(model);
    const layers = (art.modelJson.modelTopology.config.layers as Array<{ class_name: string; config: Record<string, unknown> }>).slice(1, 3);
    expect(layers.map((l) => l.class_name)).toEqual(['Rescaling', 'Rescaling']);
    // (x - mean) then x * (1 / std): per-channel lists broadcast over [h, w, c], no weights.
    expect(layers[0]!.config).toMatchObject({ scale: 1, offset: [[MEAN.map((m) => -Math.fround(m))]] });
    expect(art.modelJson.weightsManifest[0]!.weights.some((w) => w.name.startsWith('normalization'))).toBe(false);
    const back = await loadWithTfjs(art);
    const raw = Float32Array.from({ length: 3 * 75 }, (_, i) => ((i * 53) % 97) / 40);
    for (let i = 2; i < raw.length; i += 3) raw[i] = MEAN[2]!;
    const again = await importLayersArtifacts({ modelJson: art.modelJson, weights: art.weights });
    const x = tf.tensor4d(raw, [3, 5, 5, 3]);
    const before = tf.memory().numTensors;
    const [bonsai, exported] = [model.predict(x), tfjsPredict(back, x)];
    const scale = tf.tidy(() => tf.max(tf.abs(bonsai)).dataSync()[0]!);
    expect(maxAbsDiff(exported, bonsai)).toBeLessThan(1e-5 * Math.max(1, scale));
    // The same file imported again: frozen constants, the same function.
    expect(again.graph.nodes.slice(1, 4).map((n) => n.op)).toEqual(['addConst', 'mulConst', 'conv2d']);
    expect(again.trainableParams().some((p) => p.nodeId.startsWith('normalization'))).toBe(false);
    const reimported = again.predict(x);
    expect(maxAbsDiff(reimported, exported)).toBeLessThan(1e-6 * Math.max(1, scale));
    tf.dispose([bonsai, exported, reimported]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    for (const m of [model, again]) m.dispose();
    for (const m of [back, stock]) m.dispose();
  });

  it('refuses value / x, which no stock layer computes, naming the node', async () => {
    const b = new GraphBuilder();
    const x = b.input([4]);
    const y = b.op('divConst', [x], { shape: [4], reversed: true }, 'recip');
    const model = Model.create(b.build([y]), { seed: 1 });
    const err = await toLayersArtifacts(model).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InteropError);
    expect((err as Error).message).toMatch(/Node "recip" \(divConst\): value \/ x is not affine/);
    model.dispose();
  });

  it('refuses what it cannot express, naming the layer', async () => {
    const { modelJson, weights } = await withNormalization();
    const layers = (modelJson.modelTopology as { config: { layers: Array<{ config: Record<string, unknown> }> } }).config.layers;
    layers[0]!.config.invert = true;
    await expect((async () => importLayersArtifacts({ modelJson, weights }))()).rejects.toThrow(/Layer "normalization" \(Normalization\): config "invert" must be false/);
    layers[0]!.config.invert = false;
    const noWeights = { ...modelJson, weightsManifest: [{ paths: ['weights.bin'], weights: (modelJson.weightsManifest as Array<{ weights: Array<{ name: string }> }>)[0]!.weights.filter((w) => !w.name.startsWith('normalization/')) }] };
    const err = await (async () => importLayersArtifacts({ modelJson: noWeights, weights: weights.slice(28) }))().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InteropError);
    expect((err as Error).message).toMatch(/Layer "normalization" \(Normalization\): needs the adapted "mean" weight/);
  });
});
