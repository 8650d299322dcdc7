import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Loads a LayersModel folder (model.json + weight files) with stock tfjs-layers through a custom IOHandler. */
export function loadFolderWithTfjs(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    format: string;
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  const buffers = json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(dir, p)));
  const bytes = Buffer.concat(buffers);
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      format: json.format,
    }),
  };
  return tfl.loadLayersModel(handler);
}

/** Runs a single-output tfjs model. */
export function tfjsPredict(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor {
  const y = model.predict(x);
  if (Array.isArray(y)) throw new Error('single output expected');
  return y;
}

/** Largest |a - b| (shapes must match). */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape ${a.shape} vs ${b.shape}`);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** Exact zeros in the given float tensors. */
export function countZeros(ts: readonly tf.Tensor[]): number {
  return tf.tidy(() => ts.reduce((acc, t) => acc + tf.sum(tf.cast(tf.equal(t, 0), 'float32')).dataSync()[0]!, 0));
}

/** Saves a stock tfjs-layers model to `dir` as model.json + weights.bin (what tfjs-node's file:// handler writes). */
export async function saveFolderWithTfjs(model: tfl.LayersModel, dir: string): Promise<void> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      const json = { format: 'layers-model', generatedBy: 'tfjs-layers 4.22.0', convertedBy: null, modelTopology: art.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }] };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(art.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** A small stock tfjs-layers CNN for 28x28x1 inputs: conv(8)-relu-pool, conv(8)-relu-pool, flatten, dense(10). */
export function tinyLayersCnn(seed = 1, classes = 10): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + s });
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), name: 'conv1' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2), name: 'conv2' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  m.add(tfl.layers.flatten({ name: 'flatten' }));
  m.add(tfl.layers.dense({ units: classes, kernelInitializer: init(3), name: 'logits' }));
  return m;
}

/** Loads a GraphModel folder (model.json + weight files) with stock tfjs-converter through a custom IOHandler. */
export async function loadGraphFolderWithTfjs(dir: string): Promise<import('@tensorflow/tfjs-converter').GraphModel> {
  const tfc = await import('@tensorflow/tfjs-converter');
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; signature?: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(dir, p))));
  const handler: tf.io.IOHandler = {
    load: async () => ({
      format: 'graph-model',
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      ...(json.signature ? { signature: json.signature } : {}),
    }),
  };
  return tfc.loadGraphModel(handler);
}
