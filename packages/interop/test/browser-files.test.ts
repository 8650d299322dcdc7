import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, IoError, SerializationError } from '@bonsai/core';
import { readFile } from 'node:fs/promises';
import { File } from 'node:buffer';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { filesHandler, filesToModelArtifacts, importModel, readModelFileList } from '../src/index';
import { maxAbsDiff, randomizeWeights, sequentialCnn, tfjsArtifacts, tfjsPredict } from './helpers';
import { REAL_MODELS } from './graph-model-helpers';

/** A tfjs LayersModel's files as user-selected `File`s: model.json and its weights cut into 3 shards. */
async function shardedFiles(model: tfl.LayersModel): Promise<File[]> {
  const art = await tfjsArtifacts(model);
  const bytes = new Uint8Array(art.weights);
  const cut = [0, Math.floor(bytes.length / 3), Math.floor((2 * bytes.length) / 3), bytes.length];
  const paths = [1, 2, 3].map((i) => `group1-shard${i}of3.bin`);
  const json = { ...art.modelJson, weightsManifest: [{ paths, weights: (art.modelJson.weightsManifest as Array<{ weights: unknown }>)[0]!.weights }] };
  return [
    new File([bytes.subarray(cut[2], cut[3])], paths[2]!),
    new File(['notes'], 'README.txt'),
    new File([JSON.stringify(json)], 'model.json'),
    new File([bytes.subarray(cut[0], cut[1])], paths[0]!),
    new File([bytes.subarray(cut[1], cut[2])], paths[1]!),
  ];
}

describe('model files picked in a browser (File objects, any order)', () => {
  let model: tfl.LayersModel;
  beforeAll(async () => {
    await initBackend('wasm');
    model = sequentialCnn();
    randomizeWeights(model, 4);
  });

  it('stock tf.loadLayersModel through filesHandler and Bonsai through readModelFileList predict as the original', async () => {
    const files = await shardedFiles(model);
    const x = tf.randomUniform([2, 12, 12, 2], 0, 1, 'float32', 1);
    const want = tfjsPredict(model, x);
    const stock = await tfl.loadLayersModel(filesHandler(files));
    const got = tfjsPredict(stock, x);
    expect(maxAbsDiff(got, want)).toBe(0);
    const bonsai = await importModel(await readModelFileList(files));
    const out = bonsai.predict(x);
    expect(maxAbsDiff(out, want)).toBeLessThan(1e-5);
    tf.dispose([x, want, got, out]);
    stock.dispose();
    bonsai.dispose();
  });

  it('a real GraphModel (emotion): artifacts carry its format, metadata and every weight byte', async () => {
    const dir = REAL_MODELS.emotion.file.replace(/model\.json$/, '');
    const files = [new File([await readFile(join(dir, 'emotion.bin'))], 'emotion.bin'), new File([await readFile(join(dir, 'model.json'))], 'model.json')];
    const art = await filesToModelArtifacts(files);
    expect(art.format).toBe('graph-model');
    expect((art.userDefinedMetadata as { signature?: unknown }).signature).toBeDefined(); // the converter's signature
    const data = tf.io.CompositeArrayBuffer.join(art.weightData!);
    expect(Buffer.from(data).equals(await readFile(join(dir, 'emotion.bin')))).toBe(true);
  });

  it('names a missing shard, a missing model.json, and a model.json that is not one, with typed errors', async () => {
    const files = await shardedFiles(model);
    const without = files.filter((f) => f.name !== 'group1-shard2of3.bin');
    const err = await readModelFileList(without).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).path).toBe('group1-shard2of3.bin');
    expect((err as Error).message).toMatch(/"group1-shard2of3\.bin"/);
    await expect(filesHandler(without).load!()).rejects.toThrow(/group1-shard2of3\.bin/);
    await expect(readModelFileList(files.filter((f) => f.name !== 'model.json'))).rejects.toThrow(/no model\.json among the selected files/);
    await expect(readModelFileList([new File(['{"a":'], 'model.json')])).rejects.toBeInstanceOf(SerializationError);
    await expect(readModelFileList([new File(['{"a": 1}'], 'model.json')])).rejects.toThrow(/model\.json: not a tfjs model\.json/);
  });
});
