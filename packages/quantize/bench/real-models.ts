/**
 * @bonsai/quantize on real pretrained GraphModels (interop's vendored fixtures from
 * @vladmandic/human 3.3.6) with unlabeled real images (seeded crops of the three vendored JPEG
 * photos of @bonsai/datasets): int8 static PTQ as today vs + cross-layer equalization (CLE),
 * + empirical bias correction, + KL activation calibration, each step measured in the same run.
 * Classifier (emotion, softmax over 7): top-1 agreement with float and mean KL(float || int8) on
 * held-out crops. Writes bench-results/real-models.json; smoke mode: fewer crops.
 * Env: BENCH_CALIB (default 64), BENCH_EVAL (default 256).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, initBackend, type Model } from '@bonsai/core';
import { decodeBytesWithJs } from '@bonsai/datasets';
import { activationTargets, correctBias, equalizeCrossLayer, foldBatchNorm, prepareStatic, type QuantizeOptions, type QuantizedModel } from '@bonsai/quantize';
import { createReport, pick } from '@bonsai/bench-harness';
// interop depends on quantize, so it cannot be a dependency of quantize: the bench reads its source.
import { importGraphModel } from '../../interop/src/index';

const here = dirname(fileURLToPath(import.meta.url));
const PHOTOS = join(here, '../../datasets/test/fixtures/photos');
const MODELS = join(here, '../../interop/test/fixtures/graph-model');
const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);

/** `n` seeded square crops (side 15-60% of the shorter edge) of the photos, resized to [h, w], gray when c = 1, in [0, 1]. */
async function crops(n: number, seed: number, [h, w, c]: readonly number[]): Promise<tf.Tensor> {
  const files = ['samples.jpg', 'screenshot-faceid.jpg', 'screenshot-vrm.jpg'];
  const images = await Promise.all(files.map(async (f) => decodeBytesWithJs(new Uint8Array(await readFile(join(PHOTOS, f))), f)));
  const rng = createRng(seed);
  const parts: tf.Tensor[] = [];
  for (let k = 0; k < images.length; k++) {
    const img = images[k]!;
    const count = Math.floor(n / images.length) + (k < n % images.length ? 1 : 0);
    const boxes: number[][] = [];
    for (let i = 0; i < count; i++) {
      const side = (0.15 + 0.45 * rng()) * Math.min(img.width, img.height);
      const y0 = rng() * (img.height - side);
      const x0 = rng() * (img.width - side);
      boxes.push([y0 / img.height, x0 / img.width, (y0 + side) / img.height, (x0 + side) / img.width]);
    }
    parts.push(tf.tidy(() => {
      const rgb = tf.div(tf.slice(tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, img.channels]), [0, 0, 0, 0], [1, -1, -1, 3]), 255) as tf.Tensor4D;
      const out = tf.image.cropAndResize(rgb, tf.tensor2d(boxes, [count, 4]), tf.zeros([count], 'int32'), [h!, w!]);
      return c === 1 ? tf.mean(out, -1, true) : out;
    }));
  }
  const x = tf.concat(parts);
  tf.dispose(parts);
  return x;
}

/** Top-1 agreement and mean KL(p || q) of two probability outputs. */
function compare(p: tf.Tensor, q: tf.Tensor): { agreement: number; kl: number } {
  return tf.tidy(() => {
    const agree = tf.mean(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(q, -1)), 'float32')).dataSync()[0]!;
    const pc = tf.clipByValue(p, 1e-12, 1);
    const qc = tf.clipByValue(q, 1e-12, 1);
    const kl = tf.mean(tf.sum(tf.mul(pc, tf.sub(tf.log(pc), tf.log(qc))), -1)).dataSync()[0]!;
    return { agreement: agree, kl };
  });
}

interface Variant {
  name: string;
  cle: boolean;
  biasCorrection: boolean;
  options: QuantizeOptions;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const nCalib = env('BENCH_CALIB', pick(32, 12));
  const nEval = env('BENCH_EVAL', pick(256, 24));
  const report = createReport({ bench: 'real-models', settings: { model: 'emotion (@vladmandic/human 3.3.6, 64x64x1, 7 classes)', calibration: nCalib, eval: nEval, images: 'seeded crops of 3 real photos (samples.jpg, screenshot-faceid.jpg, screenshot-vrm.jpg)' } });
  const model: Model = await importGraphModel(join(MODELS, 'emotion/model.json'));
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const calib = await crops(nCalib, 1, shape);
  const evalX = await crops(nEval, 2, shape);
  const ref = model.predict(evalX, { batchSize: 32 });
  const folded = foldBatchNorm(model);
  const t0 = performance.now();
  const { model: equalized, pairs } = equalizeCrossLayer(folded);
  report.note(`cross-layer equalization: ${pairs.length} pairs in ${((performance.now() - t0) / 1000).toFixed(2)} s; float max |Δ| after CLE ${tf.tidy(() => tf.max(tf.abs(tf.sub(equalized.predict(evalX, { batchSize: 32 }), ref))).dataSync()[0]!).toExponential(2)}`);
  const perTensor: QuantizeOptions = { weights: { perChannel: false } };
  // The softmax output stays float (int8 probabilities round small ones to 0, which alone costs ~1e-2 of KL).
  const g = equalized.graph;
  const feedsOutput = (id: string): boolean => g.outputs.includes(id) || g.consumers(id).every((c) => g.outputs.includes(c));
  const activationNodes = activationTargets(g, {}).filter((id) => !feedsOutput(id));
  // KL on the hidden activations only (the per-node override): the graph input keeps min/max.
  const hidden = activationNodes.filter((id) => !g.inputs.includes(id));
  const kl: QuantizeOptions = { activationObservers: Object.fromEntries(hidden.map((id) => [id, 'kl' as const])) };
  const variants: Variant[] = [];
  for (const [label, base] of [['per-channel', {}], ['per-tensor', perTensor]] as const) {
    const opts: QuantizeOptions = { ...base, activationNodes };
    variants.push({ name: `int8 static PTQ ${label} (today)`, cle: false, biasCorrection: false, options: opts });
    variants.push({ name: `+ CLE`, cle: true, biasCorrection: false, options: opts });
    variants.push({ name: `+ CLE + bias correction`, cle: true, biasCorrection: true, options: opts });
    variants.push({ name: `+ CLE + bias correction + KL hidden activations`, cle: true, biasCorrection: true, options: { ...opts, ...kl } });
  }
  const rows: Array<Array<string | number>> = [];
  for (const v of variants) {
    const t = performance.now();
    const prepared = prepareStatic(v.cle ? equalized : folded, v.options);
    prepared.calibrate(calib, { batchSize: 32 });
    let q: QuantizedModel = prepared.convert();
    if (v.biasCorrection) {
      const c = correctBias(q, prepared, calib, { batchSize: 32 });
      q.dispose();
      q = c.model;
    }
    const out = q.predict(evalX, { batchSize: 32 });
    const m = compare(ref, out);
    rows.push([v.name, `${(100 * m.agreement).toFixed(2)}%`, m.kl.toExponential(2), ((performance.now() - t) / 1000).toFixed(1)]);
    console.log(rows[rows.length - 1]!.join(' | '));
    tf.dispose(out);
    q.dispose();
    prepared.dispose();
  }
  report.table('emotion', {
    title: `emotion GraphModel, int8 weights + activations; ${nCalib} calibration crops, ${nEval} held-out crops`,
    columns: ['method', 'top-1 agreement with float', 'mean KL(float || int8)', 'seconds'],
    rows,
    note: 'Weights int8 (per-channel or per-tensor, symmetric), every activation but the softmax output int8 affine per-tensor (min/max, or KL where marked). Images are unlabeled: agreement and KL are against the float model. Crops come from 3 photos only, so they are correlated.',
  });
  [model, folded, equalized].forEach((m) => m.dispose());
  tf.dispose([calib, evalX, ref]);
  report.write();
}

await main();
