import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, type Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLayersModel, importLayersModel, toLayersArtifacts } from '../src/index';
import { functionalNet, loadWithTfjs, modernNet, maxAbsDiff, randomizeWeights, saveTfjsToFolder, separableNet, sequentialCnn, tempDir, tfjsPredict } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

interface Case {
  name: string;
  make: () => tfl.LayersModel;
  input: number[];
  /** Expected Bonsai node ids (proves names come from layer names and the documented splits). */
  nodes: string[];
}

const cases: Case[] = [
  {
    name: 'Sequential CNN with BN',
    make: sequentialCnn,
    input: [12, 12, 2],
    nodes: ['conv1_input', 'conv1', 'conv1_relu', 'bn1', 'pool1', 'conv2', 'conv2_relu6', 'pool2', 'flat', 'drop', 'fc1', 'fc1_tanh', 'fc2', 'fc2_softmax'],
  },
  {
    name: 'functional model with Add and Concatenate',
    make: functionalNet,
    input: [10, 10, 3],
    nodes: ['image', 'stem', 'stem_bn', 'stem_relu', 'branch_a', 'branch_a_sigmoid', 'residual', 'dw', 'branch_b', 'cat', 'cat_relu6', 'gap', 'tokens', 'ln', 'flat', 'logits', 'probs'],
  },
  {
    name: 'SeparableConv2D model',
    make: separableNet,
    input: [9, 9, 4],
    nodes: ['in', 'sep1_depthwise', 'sep1', 'sep1_relu', 'sep2_depthwise', 'sep2', 'gap', 'out'],
  },
  {
    name: 'padding, upsampling, PReLU, squeeze-and-excite, Permute, GlobalMaxPooling2D',
    make: modernNet,
    input: [8, 8, 3],
    nodes: ['image', 'scale', 'pad', 'stem', 'stem_swish', 'prelu', 'se_squeeze', 'se_reshape', 'se_expand', 'se_expand_sigmoid', 'se_excite', 'up', 'crop', 'leaky', 'cap', 'perm', 'ln', 'gmp', 'head'],
  },
];

async function roundTrip(c: Case, seed: number): Promise<Record<string, number>> {
  const keras = c.make();
  randomizeWeights(keras, seed);
  const x = tf.randomUniform([4, ...c.input], -1, 1, 'float32', seed);
  const dir = await tempDir('rt');
  await saveTfjsToFolder(keras, join(dir, 'keras'));
  const ref = tfjsPredict(keras, x);

  const before = tf.memory().numTensors;
  const bonsai: Model = await importLayersModel(join(dir, 'keras'));
  expect(bonsai.graph.nodes.map((n) => n.id)).toEqual(c.nodes);
  const y = bonsai.predict(x);
  const imported = maxAbsDiff(y, ref);

  // Export float32 and load with stock tfjs-layers.
  const tensorsBeforeExport = tf.memory().numTensors;
  const info = await exportLayersModel(bonsai, join(dir, 'out'));
  expect(tf.memory().numTensors).toBe(tensorsBeforeExport);
  const files = { modelJson: JSON.parse(await readFile(join(dir, 'out', 'model.json'), 'utf8')) as unknown, weights: new Uint8Array(await readFile(join(dir, 'out', 'weights.bin'))) };
  expect(files.weights.byteLength).toBe(info.weightBytes);
  const back = await loadWithTfjs(files);
  const yBack = tfjsPredict(back, x);
  const exported = maxAbsDiff(yBack, y);

  // uint8 export: stock tfjs dequantizes; Bonsai re-imports the same quantized file identically.
  await exportLayersModel(bonsai, join(dir, 'q8'), { quantize: 'uint8' });
  const q8Files = { modelJson: JSON.parse(await readFile(join(dir, 'q8', 'model.json'), 'utf8')) as unknown, weights: new Uint8Array(await readFile(join(dir, 'q8', 'weights.bin'))) };
  expect(q8Files.weights.byteLength).toBeLessThan(files.weights.byteLength / 2);
  const q8 = await loadWithTfjs(q8Files);
  const yQ8 = tfjsPredict(q8, x);
  const quantizedVsFloat = maxAbsDiff(yQ8, y);
  const bonsaiQ8 = await importLayersModel(join(dir, 'q8'));
  const yBonsaiQ8 = bonsaiQ8.predict(x);
  const quantizedReimport = maxAbsDiff(yBonsaiQ8, yQ8);

  [y, yBack, yQ8, yBonsaiQ8].forEach((t) => t.dispose());
  [back, q8].forEach((m) => m.dispose());
  bonsai.dispose();
  bonsaiQ8.dispose();
  expect(tf.memory().numTensors).toBe(before);
  [x, ref].forEach((t) => t.dispose());
  keras.dispose();
  return { imported, exported, quantizedVsFloat, quantizedReimport };
}

describe('tfjs-layers -> Bonsai -> tfjs-layers round trip', () => {
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const d = await roundTrip(c, 100 + i);
      expect(d.imported).toBeLessThan(1e-4);
      expect(d.exported).toBeLessThan(1e-4);
      expect(d.quantizedVsFloat).toBeLessThan(1e-2);
      expect(d.quantizedVsFloat).toBeGreaterThan(0); // quantization really happened
      expect(d.quantizedReimport).toBeLessThan(1e-4);
    });
  }

  it('maps Keras BN epsilon/momentum and layer attributes onto Bonsai attrs', async () => {
    const keras = sequentialCnn();
    const bonsai = await importFromKeras(keras);
    const art = await toLayersArtifacts(bonsai);
    const layers = art.modelJson.modelTopology.config.layers as Array<{ name: string; class_name: string; config: Record<string, unknown> }>;
    const bn = layers.find((l) => l.name === 'bn1')!;
    expect(bn.class_name).toBe('BatchNormalization');
    expect(bn.config.epsilon).toBe(1e-3);
    expect(bn.config.momentum).toBe(0.9);
    // conv1 -> conv1_relu is written as one Conv2D with a fused relu (faster in stock tfjs) unless asked not to.
    expect(layers.find((l) => l.name === 'conv1')).toMatchObject({ class_name: 'Conv2D', config: { activation: 'relu' } });
    expect(layers.find((l) => l.name === 'conv1_relu')).toBeUndefined();
    expect(layers.find((l) => l.name === 'bn1')).toMatchObject({ inbound_nodes: [[['conv1', 0, 0, {}]]] });
    const unfused = (await toLayersArtifacts(bonsai, { fuseActivations: false })).modelJson.modelTopology.config.layers as typeof layers;
    expect(unfused.find((l) => l.name === 'conv1_relu')).toMatchObject({ class_name: 'Activation', config: { activation: 'relu' } });
    expect(unfused.find((l) => l.name === 'conv2_relu6')).toMatchObject({ class_name: 'ReLU', config: { max_value: 6 } });
    expect(layers.find((l) => l.name === 'pool2')).toMatchObject({ class_name: 'AveragePooling2D', config: { pool_size: [2, 2], strides: [1, 1], padding: 'same' } });
    bonsai.dispose();
    keras.dispose();
  });
});

async function importFromKeras(keras: tfl.LayersModel): Promise<Model> {
  const dir = await tempDir('attrs');
  await saveTfjsToFolder(keras, dir);
  const m = await importLayersModel(dir);
  const bn = m.graph.node('bn1');
  expect(bn.attrs).toEqual({ epsilon: 1e-3, momentum: 0.9 });
  return m;
}
