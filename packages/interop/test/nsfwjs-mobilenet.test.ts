import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLayersModel, toLayersArtifacts, type LayersModelArtifacts } from '../src/index';
import { photoInput, seededInput } from './graph-model-helpers';
import { loadWithTfjs, maxAbsDiff, tfjsPredict } from './helpers';

/** nsfwjs 4.3.0's pretrained Keras MobileNetV2 LayersModel (fixtures/layers-model/nsfwjs-mobilenet-v2/README.md). */
const FOLDER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/layers-model/nsfwjs-mobilenet-v2');

beforeAll(async () => {
  await initBackend('wasm');
});

async function original(): Promise<LayersModelArtifacts> {
  return { modelJson: JSON.parse(await readFile(join(FOLDER, 'model.json'), 'utf8')) as Record<string, unknown>, weights: new Uint8Array(await readFile(join(FOLDER, 'weights.bin'))) };
}

/** Stock tfjs-layers' output and `out_relu` features (the last conv block, before pooling and the dense head). */
function stockOutputs(keras: tfl.LayersModel, x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const sub = tfl.model({ inputs: keras.inputs, outputs: keras.getLayer('out_relu').output as tfl.SymbolicTensor });
  return [tfjsPredict(keras, x), tfjsPredict(sub, x)];
}

describe('real pretrained Keras MobileNetV2 LayersModel (nsfwjs 4.3.0, vendored)', () => {
  it('imports from its folder (uint8-quantized weights): outputs and out_relu features match stock tfjs-layers on a real photo and a seeded input; the export reloads in stock tfjs with the same outputs', async () => {
    const art = await original();
    const keras = await loadWithTfjs(art);
    const classes = new Set(keras.layers.map((l) => l.getClassName()));
    for (const c of ['ZeroPadding2D', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Add', 'AveragePooling2D', 'Flatten', 'Dense', 'Dropout']) expect(classes).toContain(c);
    const photo = await photoInput([224, 224, 3]);
    const x = tf.concat([photo, seededInput([224, 224, 3], 9)]);
    const [ref, refFeat] = stockOutputs(keras, x);
    // Bonsai's import, run and export dispose what they do not return (stock tfjs-layers keeps a few tensors of its own).
    const before = tf.memory().numTensors;
    const model = await importLayersModel(FOLDER);
    const back = await loadWithTfjs(await toLayersArtifacts(model));
    const r = model.run(x, { capture: ['out_relu'] });
    const [y, feat] = [r.output!, r.captured.out_relu!];
    expect(y.shape).toEqual([2, 5]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    // Features in [0, 6] (ReLU6): float32 op-order differences only.
    expect(maxAbsDiff(feat, refFeat)).toBeLessThan(1e-4);
    // The photo's prediction is a real one, not a degenerate output: probabilities sum to 1 and the model is confident.
    const probs = Array.from(y.dataSync().slice(0, 5));
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.max(...probs)).toBeGreaterThan(0.5);
    const yBack = tfjsPredict(back, x);
    expect(maxAbsDiff(yBack, y)).toBeLessThan(1e-5);
    const shape = (m: tfl.LayersModel) => m.layers.map((l) => `${l.name}:${l.getClassName()}`);
    expect(shape(back)).toEqual(shape(keras));
    tf.dispose([y, feat, yBack, ...r.outputs, ...Object.values(r.captured)]);
    model.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([photo, x, ref, refFeat]);
    keras.dispose();
  }, 120_000);
});
