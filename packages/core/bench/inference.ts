/**
 * Inference latency of a Bonsai model (`model.forward`, inference mode: fused at batch >= 8), of its
 * unfused pass (`run(x, { fuse: false })`) and of the same network in tfjs-layers (`predict`),
 * interleaved, forward + readback of the logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { interleave, type Summary } from '@bonsai/bench-harness';
import type { Model } from './deps';

/** Median ms of each, and the paired ratio core ÷ layers. */
export interface Latency {
  coreMs: number;
  /** Core with `fuse: false` (the plain executor). */
  unfusedMs: number;
  layersMs: number;
  ratio: Summary;
}

/** Times core's forward and tfjs-layers' predict on the same random batch, interleaved. */
export async function inferenceLatency(model: Model, net: tfl.LayersModel, batch: number, o: { warmup: number; runs: number }): Promise<Latency> {
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 7);
  const read = (y: tf.Tensor): void => {
    y.dataSync();
    y.dispose();
  };
  try {
    const t = await interleave({
      core: () => read(model.forward(x, { training: false })),
      unfused: () => read(model.run(x, { fuse: false }).output),
      layers: () => read(net.predict(x) as tf.Tensor),
    }, o);
    return { coreMs: t.variants.core.median, unfusedMs: t.variants.unfused.median, layersMs: t.variants.layers.median, ratio: t.ratio('core', 'layers') };
  } finally {
    x.dispose();
  }
}
