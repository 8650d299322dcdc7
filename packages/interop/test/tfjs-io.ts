/** Stock tfjs-layers in and out of memory (no vitest: benches import this too). */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayersModelArtifacts } from '../src/index';

/** Saves a tfjs model through io.withSaveHandler and returns model.json content + weights. */
export async function tfjsArtifacts(model: tfl.LayersModel): Promise<{ modelJson: Record<string, unknown>; weights: ArrayBuffer }> {
  let out: { modelJson: Record<string, unknown>; weights: ArrayBuffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      const weights = art.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(art.weightData);
      out = {
        modelJson: {
          format: art.format,
          generatedBy: art.generatedBy,
          convertedBy: art.convertedBy ?? null,
          modelTopology: art.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs ?? [] }],
        },
        weights,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

/** Loads in-memory model.json + weights with stock tfjs-layers through a custom IOHandler. */
export async function loadWithTfjs(art: LayersModelArtifacts): Promise<tfl.LayersModel> {
  const json = (typeof art.modelJson === 'string' ? JSON.parse(art.modelJson) : art.modelJson) as {
    modelTopology: object;
    weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }>;
  };
  const w = art.weights;
  const weightData = w instanceof ArrayBuffer ? w : (w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer);
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData,
      format: 'layers-model',
    }),
  };
  return tfl.loadLayersModel(handler);
}

