/**
 * The MobileNet bench's case (real-models-mobilenet.ts), apart from its rows: interop's
 * vendored nsfwjs MobileNetV2 LayersModel, the seeded crops of the six vendored photos
 * (calibration seed 1, held-out seed 2, half mirrored), the float model's held-out outputs and
 * their top-1/top-2 margins, and one row's measurement against them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';
import type { QuantizedModel } from '@bonsai/quantize';
// interop depends on quantize, so it cannot be a dependency of quantize: the bench reads its source.
import { importLayersModel } from '../../interop/src/index';
import { crops, DATASET_PHOTOS, MORE_PHOTOS } from './photo-crops';
import { compareProbabilities } from './real-model-fixtures';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../interop/test/fixtures/layers-model/nsfwjs-mobilenet-v2');
/** The model's classes, in output order. */
export const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
/** Batch size of every pass. */
export const BATCH = 16;
/** The model, as the benches' settings name it. */
export const MODEL_NAME = 'nsfwjs 4.3.0 MobileNetV2 (Keras LayersModel, 224x224x3, 5 classes)';
const PHOTOS = [...DATASET_PHOTOS, ...MORE_PHOTOS];
/** The images, as the benches' settings describe them. */
export const IMAGES = `seeded crops (side 15-60% of the shorter edge, half mirrored) of ${PHOTOS.length} real photos: ${PHOTOS.map((p) => p.split('/').pop()).join(', ')}; calibration seed 1, held-out seed 2`;

/** The loaded model, its crops and the float reference on the held-out crops (dispose with {@link disposeCase}). */
export interface MobilenetCase {
  model: Model;
  calib: tf.Tensor;
  evalX: tf.Tensor;
  /** Float probabilities on the held-out crops. */
  ref: tf.Tensor;
  /** Float top-1 minus top-2 probability per held-out crop. */
  margins: number[];
  /** Float top-1 counts per class on the held-out crops. */
  classes: number[];
}

/** Loads the fixture and draws `nCalib` calibration and `nEval` held-out crops. */
export async function mobilenetCase(nCalib: number, nEval: number): Promise<MobilenetCase> {
  const model: Model = await importLayersModel(FIXTURE);
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const calib = await crops(nCalib, 1, shape, { photos: PHOTOS, flips: true });
  const evalX = await crops(nEval, 2, shape, { photos: PHOTOS, flips: true });
  const ref = model.predict(evalX, { batchSize: BATCH });
  const { margins, classes } = tf.tidy(() => {
    const top = tf.topk(ref, 2).values;
    const m = Array.from(tf.sub(tf.slice(top, [0, 0], [-1, 1]), tf.slice(top, [0, 1], [-1, 1])).dataSync());
    const counts = new Array<number>(CLASSES.length).fill(0);
    for (const c of tf.argMax(ref, -1).dataSync()) counts[c]!++;
    return { margins: m, classes: counts };
  });
  return { model, calib, evalX, ref, margins, classes };
}

/** Frees the case's model and tensors. */
export function disposeCase(c: MobilenetCase): void {
  c.model.dispose();
  tf.dispose([c.calib, c.evalX, c.ref]);
}

/** A row's measurement: top-1 agreement (percent), mean KL and the flipped crops' float margins. */
export function measureRow(c: MobilenetCase, q: Model | QuantizedModel): { agreement: string; kl: string; flips: string } {
  const out = q.predict(c.evalX, { batchSize: BATCH });
  const m = compareProbabilities(c.ref, out);
  out.dispose();
  const flips = m.flipped.length > 12 ? `${m.flipped.slice(0, 12).map((x) => x.toFixed(3)).join(' ')} … (${m.flipped.length})` : m.flipped.map((x) => x.toFixed(3)).join(' ') || '(none)';
  return { agreement: `${(100 * m.agreement).toFixed(2)}%`, kl: m.kl.toExponential(2), flips };
}
