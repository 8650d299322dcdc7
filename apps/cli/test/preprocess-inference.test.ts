import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@bonsai/core';
import { importLayersModel, readPreprocessing } from '@bonsai/interop';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BufferSink, main, type CliIo, type DataLoader, loadData } from '../src/index';
import { measureInputScaling, presetForScaling } from '../src/preprocess-inference';
import { tempDir } from './helpers';
import { npyBytes } from './npy-writer';
import { saveFolderWithTfjs } from './tfjs-layers';

/** A stock tfjs-layers model on 8x8x3 inputs that starts with Rescaling(scale, offset) when given. */
function scaledNet(rescale?: { scale: number; offset: number }): tfl.LayersModel {
  const m = tfl.sequential();
  if (rescale) m.add(tfl.layers.rescaling({ inputShape: [8, 8, 3], ...rescale, name: 'scale' }));
  m.add(tfl.layers.conv2d({ ...(rescale ? {} : { inputShape: [8, 8, 3] }), filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), name: 'conv' }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }), name: 'logits' }));
  return m;
}

describe('preprocessing inferred from the model', () => {
  const cwd = tempDir();

  beforeAll(async () => {
    await initBackend('wasm');
    await saveFolderWithTfjs(scaledNet({ scale: 1 / 255, offset: 0 }), join(cwd, 'rescaled'));
    await saveFolderWithTfjs(scaledNet(), join(cwd, 'plain'));
    const pixels = Uint8Array.from({ length: 12 * 8 * 8 * 3 }, (_, i) => (i * 37) % 256);
    writeFileSync(join(cwd, 'pixels.npy'), npyBytes(pixels, [12, 8, 8, 3]));
  });

  it('measures a Keras Rescaling layer as a per-channel affine map and picks the preset it implies', async () => {
    const cases: Array<[{ scale: number; offset: number }, string]> = [
      [{ scale: 1 / 255, offset: 0 }, 'none'], // x/255 inside: feed raw pixels
      [{ scale: 1 / 127.5, offset: -1 }, 'none'], // [-1, 1] inside
      [{ scale: 1 / 0.226, offset: -0.449 / 0.226 }, '[0,1]'], // (x - mean) / std on [0, 1] inputs
      [{ scale: 1, offset: -117 }, 'none'], // Caffe-style mean subtraction in pixel units
    ];
    for (const [rescale, preset] of cases) {
      const dir = join(cwd, `r${rescale.scale}`);
      await saveFolderWithTfjs(scaledNet(rescale), dir);
      const model = await importLayersModel(join(dir, 'model.json'));
      const before = tf.memory().numTensors;
      const s = measureInputScaling(model)!;
      expect(tf.memory().numTensors).toBe(before);
      // hand computation: y = scale * x + offset on every channel
      expect(s.scale.length).toBe(3);
      for (let c = 0; c < 3; c++) {
        expect(s.scale[c]).toBeCloseTo(rescale.scale, 5);
        expect(s.offset[c]).toBeCloseTo(rescale.offset, 4);
      }
      expect(presetForScaling(s)).toBe(preset);
      model.dispose();
    }
    // A Keras Normalization layer (adapted ImageNet mean/std in pixel units) put first in the saved model
    const [mean, std] = [[123.7, 116.3, 103.5], [58.4, 57.1, 57.4]];
    const json = JSON.parse(readFileSync(join(cwd, 'plain', 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }; weightsManifest: Array<{ weights: object[] }> };
    const layers = json.modelTopology.config.layers;
    layers.unshift({ class_name: 'Normalization', config: { name: 'norm', axis: -1, batch_input_shape: layers[0]!.config.batch_input_shape, invert: false } });
    delete layers[1]!.config.batch_input_shape;
    json.weightsManifest[0]!.weights.unshift({ name: 'norm/mean', shape: [3], dtype: 'float32' }, { name: 'norm/variance', shape: [3], dtype: 'float32' });
    const stats = new Uint8Array(Float32Array.from([...mean, ...std.map((v) => v * v)]).buffer);
    mkdirSync(join(cwd, 'normalized'));
    writeFileSync(join(cwd, 'normalized', 'model.json'), JSON.stringify(json));
    writeFileSync(join(cwd, 'normalized', 'weights.bin'), Buffer.concat([stats, readFileSync(join(cwd, 'plain', 'weights.bin'))]));
    const normalized = await importLayersModel(join(cwd, 'normalized', 'model.json'));
    const n = measureInputScaling(normalized)!;
    expect(n.node).toBe('norm');
    for (let c = 0; c < 3; c++) {
      expect(n.scale[c]).toBeCloseTo(1 / std[c]!, 6);
      expect(n.offset[c]).toBeCloseTo(-mean[c]! / std[c]!, 5);
    }
    expect(presetForScaling(n)).toBe('none'); // raw pixels in, (x - mean) / std inside
    normalized.dispose();
    const plain = await importLayersModel(join(cwd, 'plain', 'model.json'));
    expect(measureInputScaling(plain)).toBeUndefined();
    plain.dispose();
    // per-channel offsets (ImageNet means in pixel units) and a non-affine chain
    expect(presetForScaling({ scale: [1, 1, 1], offset: [-123.7, -116.3, -103.5] })).toBe('none');
  });

  function io(): CliIo & { stdout: BufferSink; stderr: BufferSink } {
    return { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd };
  }

  /** Runs compress with a data loader that records the preprocessing it was asked for. */
  async function compress(model: string, out: string, extra: string[] = []): Promise<{ seen: Array<string | undefined>; stderr: string; code: number }> {
    const seen: Array<string | undefined> = [];
    const spy: DataLoader = async (d, c) => {
      seen.push(d.preprocess);
      return loadData(d, c);
    };
    const s = io();
    const code = await main(['compress', model, '--data', 'pixels.npy', '--latency-runs', '1', '--out', out, ...extra], s, { recipe: { loadData: spy } });
    return { seen, stderr: s.stderr.text(), code };
  }

  it('compress: the model\'s own scaling, then the preset recorded by the previous run, --preprocess over both, else the default with a note', async () => {
    const a = await compress('rescaled', 'out-a');
    expect(a.code, a.stderr).toBe(0);
    expect(a.seen).toEqual(['none']);
    expect(a.stderr).toContain('preprocessing: none (the model scales its input itself (x * 0.003922 + 0 up to node "scale"), so it is fed raw pixel values 0..255)');
    // the written LayersModel records it; the next run reads it from there
    expect(readPreprocessing(JSON.parse(readFileSync(join(cwd, 'out-a', 'model.json'), 'utf8')))).toBe('none');
    const b = await compress('out-a', 'out-b');
    expect(b.seen).toEqual(['none']);
    expect(b.stderr).toContain("preprocessing: none (recorded in the model's model.json by a previous bonsai run)");
    const c = await compress('out-a', 'out-c', ['--preprocess', '[-1,1]']);
    expect(c.seen).toEqual(['[-1,1]']);
    expect(c.stderr).toContain('preprocessing: [-1,1] (given)');
    expect(readPreprocessing(JSON.parse(readFileSync(join(cwd, 'out-c', 'model.json'), 'utf8')))).toBe('[-1,1]');
    const d = await compress('plain', 'out-d');
    expect(d.seen).toEqual(['[0,1]']);
    expect(d.stderr).toContain('preprocessing: [0,1] (x/255), the default: the model does not say how it was trained to see pixels');
    // an int8 output folder (Bonsai's format) records it too, and the next run reads it there
    const e = await compress('out-a', 'out-e', ['--quantize', 'int8', '--calibration-samples', '8']);
    expect(e.code, e.stderr).toBe(0);
    expect(readPreprocessing(JSON.parse(readFileSync(join(cwd, 'out-e', 'model.json'), 'utf8')))).toBe('none');
    const f = await compress('out-e', 'out-f');
    expect(f.seen).toEqual(['none']);
    expect(f.stderr).toContain("preprocessing: none (recorded in the model's model.json by a previous bonsai run)");
    // built-in data has no preprocessing to infer: no note
    const s = io();
    expect(await main(['eval', '--model', 'plain', '--data', 'synthetic', '--train-size', '8', '--test-size', '8', '--latency-runs', '1'], s), s.stderr.text()).toBe(0);
    expect(s.stderr.text()).not.toContain('preprocessing:');
  });
});
