import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FormatError, initBackend, SerializationError, type Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportModel, graphModelProvenance, importLayersArtifacts, importLayersModel, importModel, InteropError, toLayersArtifacts } from '../src/index';
import { loadWithTfjs, maxAbsDiff, randomizeWeights, saveTfjsToFolder, tempDir, tfjsArtifacts, tfjsPredict } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

type Sym = tfl.SymbolicTensor;
const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

interface Case {
  name: string;
  make: () => tfl.LayersModel;
  /** Bonsai ops the import must produce (proves which converter ran). */
  ops: string[];
  /** Keras classes the export must write. */
  exported: string[];
}

const cases: Case[] = [
  {
    name: 'ZeroPadding2D, Cropping2D, UpSampling2D (nearest, bilinear), GlobalMaxPooling2D',
    make: () => {
      const x = tfl.input({ shape: [7, 6, 3], name: 'x' });
      let h = apply(tfl.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]], name: 'pad' }), x);
      h = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }), h);
      h = apply(tfl.layers.cropping2D({ cropping: [[1, 0], [2, 1]], name: 'crop' }), h);
      h = apply(tfl.layers.upSampling2d({ size: [2, 2], name: 'up_nearest' }), h);
      h = apply(tfl.layers.upSampling2d({ size: [1, 3], interpolation: 'bilinear', name: 'up_bilinear' }), h);
      const y = apply(tfl.layers.globalMaxPooling2d({ name: 'gmp' }), h);
      return tfl.model({ inputs: x, outputs: y });
    },
    ops: ['input', 'pad2d', 'conv2d', 'crop2d', 'resize2d', 'resize2d', 'globalMaxPool'],
    exported: ['InputLayer', 'ZeroPadding2D', 'Conv2D', 'Cropping2D', 'UpSampling2D', 'UpSampling2D', 'GlobalMaxPooling2D'],
  },
  {
    name: 'ReLU(max_value), LeakyReLU, PReLU, ELU, Softmax and Activation swish / gelu / hard_sigmoid / selu / elu, Rescaling',
    make: () => {
      const x = tfl.input({ shape: [5, 5, 3], name: 'x' });
      let h = apply(tfl.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: 'scale' }), x);
      h = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'swish', name: 'c1' }), h);
      h = apply(tfl.layers.reLU({ maxValue: 6, name: 'r6' }), h);
      h = apply(tfl.layers.reLU({ maxValue: 0.8, name: 'rcap' }), h);
      h = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 1, name: 'c2' }), h);
      h = apply(tfl.layers.leakyReLU({ alpha: 0.1, name: 'leaky' }), h);
      h = apply(tfl.layers.prelu({ sharedAxes: [1, 2], name: 'prelu' }), h);
      h = apply(tfl.layers.elu({ name: 'elu' }), h);
      h = apply(tfl.layers.activation({ activation: 'gelu', name: 'gelu' }), h);
      h = apply(tfl.layers.activation({ activation: 'hardSigmoid', name: 'hsig' }), h);
      h = apply(tfl.layers.dense({ units: 4, activation: 'selu', name: 'd1' }), h);
      h = apply(tfl.layers.activation({ activation: 'elu', name: 'elu2' }), h);
      const y = apply(tfl.layers.softmax({ axis: -1, name: 'soft' }), h);
      return tfl.model({ inputs: x, outputs: y });
    },
    ops: ['input', 'rescale', 'conv2d', 'swish', 'relu6', 'clippedRelu', 'conv2d', 'leakyRelu', 'prelu', 'elu', 'geluExact', 'hardSigmoid', 'dense', 'selu', 'elu', 'softmax'],
    // c1's swish and d1's selu go back into their layers' `activation`, as Keras wrote them.
    exported: ['InputLayer', 'Rescaling', 'Conv2D', 'ReLU', 'ReLU', 'Conv2D', 'LeakyReLU', 'PReLU', 'Activation', 'Activation', 'Activation', 'Dense', 'Activation', 'Activation'],
  },
  {
    name: 'squeeze-and-excite Multiply broadcasting [1, 1, C] over [H, W, C]',
    make: () => {
      const x = tfl.input({ shape: [6, 6, 3], name: 'x' });
      const f = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'features' }), x);
      let g = apply(tfl.layers.globalAveragePooling2d({ name: 'se_squeeze' }), f);
      g = apply(tfl.layers.reshape({ targetShape: [1, 1, 8], name: 'se_reshape' }), g);
      g = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'se_reduce' }), g);
      g = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 1, activation: 'sigmoid', name: 'se_expand' }), g);
      const y = apply(tfl.layers.multiply({ name: 'se_excite' }), [f, g]);
      return tfl.model({ inputs: x, outputs: y });
    },
    ops: ['input', 'conv2d', 'globalAvgPool', 'spatialReshape', 'conv2d', 'relu', 'conv2d', 'sigmoid', 'mul'],
    // se_reduce's relu and se_expand's sigmoid go back into their Conv2D layers on export.
    exported: ['InputLayer', 'Conv2D', 'GlobalAveragePooling2D', 'Reshape', 'Conv2D', 'Conv2D', 'Multiply'],
  },
  {
    name: 'Reshape to tokens, LayerNormalization, Permute, Maximum / Minimum',
    make: () => {
      const x = tfl.input({ shape: [4, 4, 3], name: 'x' });
      const t = apply(tfl.layers.reshape({ targetShape: [16, 3], name: 'tokens' }), x);
      const n = apply(tfl.layers.layerNormalization({ name: 'ln' }), t);
      const d = apply(tfl.layers.dense({ units: 3, name: 'proj' }), n);
      const m = apply(tfl.layers.maximum({ name: 'max' }), [n, d]);
      const k = apply(tfl.layers.minimum({ name: 'min' }), [m, t]);
      const p = apply(tfl.layers.permute({ dims: [2, 1], name: 'perm' }), k);
      const y = apply(tfl.layers.reshape({ targetShape: [6, 8], name: 'barrier' }), p);
      return tfl.model({ inputs: x, outputs: y });
    },
    ops: ['input', 'spatialReshape', 'layerNorm', 'dense', 'maximum', 'minimum', 'permute', 'reshape'],
    exported: ['InputLayer', 'Reshape', 'LayerNormalization', 'Dense', 'Maximum', 'Minimum', 'Permute', 'Reshape'],
  },
];

const classes = (art: { modelJson: { modelTopology: { config: Record<string, unknown> } } }): string[] =>
  (art.modelJson.modelTopology.config.layers as Array<{ class_name: string }>).map((l) => l.class_name);

describe('Keras layers real models use: exact import vs stock tfjs-layers, export loads in stock tfjs-layers', () => {
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const keras = c.make();
      randomizeWeights(keras, 40 + i);
      const inShape = keras.inputs[0]!.shape.slice(1) as number[];
      const x = tf.randomUniform([2, ...inShape], -2, 2, 'float32', 9 + i);
      const ref = tfjsPredict(keras, x);
      const before = tf.memory().numTensors;
      const model: Model = importLayersArtifacts(await tfjsArtifacts(keras));
      expect(model.graph.nodes.map((n) => n.op)).toEqual(c.ops);
      const y = model.predict(x);
      expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
      const art = await toLayersArtifacts(model);
      expect(classes(art)).toEqual(c.exported);
      const back = await loadWithTfjs(art);
      const yBack = tfjsPredict(back, x);
      expect(maxAbsDiff(yBack, y)).toBeLessThan(1e-5);
      [y, yBack].forEach((t) => t.dispose());
      back.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      [x, ref].forEach((t) => t.dispose());
      keras.dispose();
    });
  }
});

/** A Keras config tfjs-layers cannot build: edited into a saved model.json. */
async function edited(edit: (layers: Array<{ class_name: string; name: string; config: Record<string, unknown> }>) => void) {
  const x = tfl.input({ shape: [3, 3, 4], name: 'x' });
  const c = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'conv' }), x);
  const y = apply(tfl.layers.reLU({ name: 'act' }), c);
  const keras = tfl.model({ inputs: x, outputs: y });
  randomizeWeights(keras, 3);
  const art = await tfjsArtifacts(keras);
  edit((art.modelJson.modelTopology as { config: { layers: never } }).config.layers);
  const input = tf.randomUniform([2, 3, 3, 4], -3, 3, 'float32', 4);
  const pre = tf.tidy(() => (keras.getLayer('conv').apply(input) as tf.Tensor));
  keras.dispose();
  return { art, input, pre };
}

describe('Keras configs tfjs-layers 4.22 cannot build', () => {
  it('ReLU(max_value, negative_slope, threshold) matches the Keras formula computed by hand', async () => {
    const { art, input, pre } = await edited((ls) => Object.assign(ls[2]!.config, { max_value: 2, negative_slope: 0.25, threshold: 0.5 }));
    const m = importLayersArtifacts(art);
    expect(m.graph.node('act').op).toBe('clippedRelu');
    const y = await m.predict(input).data();
    const p = await pre.data();
    const expected = Array.from(p, (v) => (v >= 2 ? 2 : v >= 0.5 ? v : 0.25 * (v - 0.5)));
    expect(Math.max(...Array.from(y, (v, i) => Math.abs(v - expected[i]!)))).toBeLessThan(1e-6);
    // tfjs-layers' ReLU reads max_value only: exporting this would silently compute something else.
    await expect(toLayersArtifacts(m)).rejects.toBeInstanceOf(InteropError);
    m.dispose();
    [input, pre].forEach((t) => t.dispose());
  });

  it('SpatialDropout2D: identity in inference, whole channels in training, exported as Dropout(noise_shape [null, 1, 1, C])', async () => {
    const { art, input, pre } = await edited((ls) => {
      ls[2]!.class_name = 'SpatialDropout2D';
      ls[2]!.config = { name: 'act', rate: 0.5, trainable: true };
    });
    const m = importLayersArtifacts(art);
    expect(m.graph.node('act').op).toBe('spatialDropout');
    const y = m.predict(input);
    expect(maxAbsDiff(y, pre)).toBeLessThan(1e-6);
    const yt = m.forward(input, { training: true });
    // Each (sample, channel) plane is all kept (x2) or all dropped.
    const ratio = tf.tidy(() => tf.div(yt, tf.add(tf.mul(pre, 2), 1e-12)));
    const r = (await ratio.array()) as number[][][][];
    for (const sample of r) for (let ch = 0; ch < 4; ch++) {
      const plane = sample.flatMap((row) => row.map((px) => Math.round(px[ch]!)));
      expect(new Set(plane).size).toBe(1);
    }
    const out = await toLayersArtifacts(m);
    const layer = (out.modelJson.modelTopology.config.layers as Array<{ name: string; class_name: string; config: Record<string, unknown> }>).find((l) => l.name === 'act')!;
    expect(layer).toMatchObject({ class_name: 'Dropout', config: { rate: 0.5, noise_shape: [null, 1, 1, 4] } });
    const back = await loadWithTfjs(out);
    const yb = tfjsPredict(back, input);
    expect(maxAbsDiff(yb, y)).toBeLessThan(1e-6);
    [y, yt, ratio, yb, input, pre].forEach((t) => t.dispose());
    back.dispose();
    m.dispose();
  });
});

describe('trainable flags, model.json paths, GraphModel detection', () => {
  it('keeps Keras trainable: false through import -> export -> stock tfjs', async () => {
    const x = tfl.input({ shape: [4, 4, 2], name: 'x' });
    const c = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, name: 'frozen_conv', trainable: false }), x);
    const b = apply(tfl.layers.batchNormalization({ name: 'frozen_bn', trainable: false }), c);
    const y = apply(tfl.layers.dense({ units: 2, name: 'head' }), apply(tfl.layers.flatten({ name: 'f' }), b));
    const keras = tfl.model({ inputs: x, outputs: y });
    const m = importLayersArtifacts(await tfjsArtifacts(keras));
    expect(m.param('frozen_conv', 'kernel')!.trainable).toBe(false);
    expect(m.param('frozen_bn', 'gamma')!.trainable).toBe(false);
    expect(m.param('head', 'kernel')!.trainable).toBe(true);
    const back = await loadWithTfjs(await toLayersArtifacts(m));
    expect(back.getLayer('frozen_conv').trainable).toBe(false);
    expect(back.getLayer('frozen_bn').trainable).toBe(false);
    expect(back.getLayer('head').trainable).toBe(true);
    back.dispose();
    m.dispose();
    keras.dispose();
  });

  it('accepts a model.json path as well as its folder', async () => {
    const dir = await tempDir('path');
    const keras = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
    await saveTfjsToFolder(keras, dir);
    const a = await importLayersModel(dir);
    const b = await importLayersModel(join(dir, 'model.json'));
    expect(b.graph.nodes.map((n) => n.id)).toEqual(a.graph.nodes.map((n) => n.id));
    const x = tf.ones([1, 3]);
    const [ya, yb] = [a.predict(x), b.predict(x)];
    expect(maxAbsDiff(ya, yb)).toBe(0);
    [x, ya, yb].forEach((t) => t.dispose());
    [a, b].forEach((m) => m.dispose());
    keras.dispose();
  });

  it('importModel detects the format (LayersModel folder, GraphModel model.json path); exportModel writes it back in the same format', async () => {
    const dir = await tempDir('detect');
    const keras = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
    await saveTfjsToFolder(keras, join(dir, 'layers'));
    keras.dispose();
    const layers = await importModel(join(dir, 'layers'));
    expect(graphModelProvenance(layers)).toBeUndefined();
    expect((await exportModel(layers, join(dir, 'layers-out'))).format).toBe('layers-model');
    const graph = await importModel(new URL('./fixtures/graph-model/emotion/model.json', import.meta.url).pathname);
    expect(graphModelProvenance(graph)).toBeDefined();
    const out = await exportModel(graph, join(dir, 'graph-out'));
    expect(out.format).toBe('graph-model');
    const written = JSON.parse(await readFile(join(dir, 'graph-out', 'model.json'), 'utf8')) as { format: string };
    expect(written.format).toBe('graph-model');
    [layers, graph].forEach((m) => m.dispose());
  });

  it('a GraphModel given to the LayersModel importer is a FormatError (a SerializationError) that says "GraphModel"', () => {
    for (const modelJson of [{ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }, { modelTopology: { node: [{ name: 'x', op: 'Placeholder' }] }, weightsManifest: [] }]) {
      let err: unknown;
      try {
        importLayersArtifacts({ modelJson, weights: new ArrayBuffer(0) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect(err).toBeInstanceOf(SerializationError);
      expect((err as Error).message).toContain('GraphModel');
      expect((err as Error).message).not.toContain('model class');
    }
  });
});
