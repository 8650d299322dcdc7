/**
 * @bonsai/quantize on a real pretrained Keras MobileNetV2 LayersModel (nsfwjs 4.3.0, interop's
 * vendored fixture: ImageNet-transfer, 224x224 RGB photos, 5 classes) with unlabeled real photos
 * (seeded crops, half of them mirrored, of the six vendored photos), issue 17's case: int8 static
 * PTQ as in the last release, then + ReLU6-aware cross-layer equalization (CLE), + empirical bias
 * correction, + per-node observers chosen by measurement, + AdaRound, each step a row of the same
 * run, with top-1 agreement and mean KL(float || int8) on held-out crops. The calibration crops
 * (seed 1) and the held-out crops (seed 2) are separate draws. Also writes the float model's
 * top-1/top-2 margin distribution on the held-out crops (how hard agreement is) and, per row, the
 * margins of the crops whose top-1 flipped. Rows marked "grid observer" quantize the weights with
 * {@link GridObserver}'s scales: the fixture's kernels are the tfjs converter's uint8 grid, folded.
 * Writes bench-results/real-models-mobilenet.json.
 * Smoke mode (BONSAI_BENCH_SMOKE=1): 4 calibration and 4 held-out crops, the first five rows only.
 * Env: BENCH_CALIB (default 64), BENCH_EVAL (default 256), BENCH_CHOICE (calibration crops the
 * per-node choice measures on, default 16), BENCH_ADAROUND_ITERS (default 20).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import {
  adaRound, chooseActivationObservers, correctBias, equalizeCrossLayer, foldBatchNorm, prepareStatic, quantizeDynamic,
  type QuantizeOptions, type QuantizedModel,
} from '@bonsai/quantize';
import { createReport, isSmoke, percentile, pick } from '@bonsai/bench-harness';
// interop depends on quantize, so it cannot be a dependency of quantize: the bench reads its source.
import { importLayersModel } from '../../interop/src/index';
import { crops, DATASET_PHOTOS, MORE_PHOTOS } from './photo-crops';
import { compareProbabilities as compare, int8ActivationNodes } from './real-model-fixtures';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../interop/test/fixtures/layers-model/nsfwjs-mobilenet-v2');
const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

interface Variant {
  name: string;
  /** Base model: BN folded, or folded + CLE on weight ranges / activation ranges. */
  base: 'folded' | 'cle' | 'cleAct';
  /** Weights only (quantizeDynamic): activations float. */
  weightsOnly?: boolean;
  observers?: boolean;
  adaRound?: boolean;
  biasCorrection?: boolean;
  options?: QuantizeOptions;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const smoke = isSmoke();
  const nCalib = env('BENCH_CALIB', pick(64, 4));
  const nEval = env('BENCH_EVAL', pick(256, 4));
  const nChoice = Math.min(nCalib, env('BENCH_CHOICE', 16));
  const adaIters = env('BENCH_ADAROUND_ITERS', 20);
  const photos = [...DATASET_PHOTOS, ...MORE_PHOTOS];
  const report = createReport({
    bench: 'real-models-mobilenet',
    settings: {
      model: 'nsfwjs 4.3.0 MobileNetV2 (Keras LayersModel, 224x224x3, 5 classes)', calibration: nCalib, eval: nEval, choiceCrops: nChoice, adaRoundIterations: adaIters,
      images: `seeded crops (side 15-60% of the shorter edge, half mirrored) of ${photos.length} real photos: ${photos.map((p) => p.split('/').pop()).join(', ')}; calibration seed 1, held-out seed 2`,
    },
  });
  const model: Model = await importLayersModel(FIXTURE);
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const calib = await crops(nCalib, 1, shape, { photos, flips: true });
  const evalX = await crops(nEval, 2, shape, { photos, flips: true });
  const bs = 16;
  const ref = model.predict(evalX, { batchSize: bs });
  const { margins, classes } = tf.tidy(() => {
    const top = tf.topk(ref, 2).values;
    const m = Array.from(tf.sub(tf.slice(top, [0, 0], [-1, 1]), tf.slice(top, [0, 1], [-1, 1])).dataSync());
    const counts = new Array<number>(CLASSES.length).fill(0);
    for (const c of tf.argMax(ref, -1).dataSync()) counts[c]!++;
    return { margins: m, classes: counts };
  });
  const folded = foldBatchNorm(model);
  const maxDelta = (m: Model): string => tf.tidy(() => tf.max(tf.abs(tf.sub(m.predict(evalX, { batchSize: bs }), ref))).dataSync()[0]!).toExponential(2);
  let t = performance.now();
  // MobileNetV2's pairs run through ReLU6: CLE needs the calibration data to equalize them.
  const { model: cle, pairs } = equalizeCrossLayer(folded, { data: calib, batchSize: bs });
  report.note(`CLE (weight ranges, ReLU6-aware with the calibration crops): ${pairs.length} pairs in ${((performance.now() - t) / 1000).toFixed(1)} s; float max |Δ| of the held-out probabilities after CLE ${maxDelta(cle)}`);
  t = performance.now();
  const { model: cleAct, pairs: actPairs } = equalizeCrossLayer(folded, { data: calib, ranges: 'activations', batchSize: bs });
  report.note(`CLE on activation ranges: ${actPairs.length} pairs in ${((performance.now() - t) / 1000).toFixed(1)} s; float max |Δ| ${maxDelta(cleAct)}`);
  const bases = { folded, cle, cleAct };
  // The softmax output (and the dense that only feeds it) stays float, as in the emotion bench.
  const activationNodes = int8ActivationNodes(cle.graph);
  const perTensor: QuantizeOptions = { weights: { perChannel: false } };
  // The fixture's kernels were stored as uint8 by the tfjs converter: the grid observer keeps that grid.
  const grid: QuantizeOptions = { weights: { observer: 'grid' } };
  // Affine (zero point per channel) keeps the converter's uint8 grid exactly, offset included.
  const affineGrid: QuantizeOptions = { weights: { observer: 'grid', symmetric: false } };
  const affineGridMse: QuantizeOptions = { ...affineGrid, activations: { observer: 'mse' } };
  const variants: Variant[] = [
    { name: 'int8 weights only (dynamic, per-channel; activations float)', base: 'folded', weightsOnly: true },
    { name: 'int8 weights only, grid observer', base: 'folded', weightsOnly: true, options: grid },
    { name: 'int8 static PTQ per-channel (last release)', base: 'folded' },
    { name: 'int8 static PTQ per-channel, grid observer for weights', base: 'folded', options: grid },
    { name: 'int8 static PTQ per-channel, affine grid observer for weights', base: 'folded', options: affineGrid },
  ];
  if (!smoke) {
    variants.push(
      { name: 'int8 static PTQ per-tensor (last release)', base: 'folded', options: perTensor },
      { name: '+ CLE', base: 'cle' },
      { name: '+ CLE + bias correction', base: 'cle', biasCorrection: true },
      { name: '+ CLE + bias correction + per-node observers', base: 'cle', biasCorrection: true, observers: true },
      { name: '+ CLE + per-node observers + AdaRound + bias correction', base: 'cle', biasCorrection: true, observers: true, adaRound: true },
      { name: '+ CLE on activation ranges', base: 'cleAct' },
      { name: 'grid observer for weights + bias correction', base: 'folded', biasCorrection: true, options: grid },
      { name: 'affine grid observer for weights + MSE activation ranges', base: 'folded', options: affineGridMse },
      { name: 'affine grid observer for weights + per-node observers', base: 'folded', observers: true, options: affineGrid },
    );
  }
  // Keyed by base model and weight options: the choice measures each candidate with those weights.
  const choices = new Map<string, QuantizeOptions['activationObservers']>();
  const observersFor = (v: Variant): QuantizeOptions['activationObservers'] => {
    const key = `${v.base} ${JSON.stringify(v.options?.weights ?? {})}`;
    if (!choices.has(key)) {
      const tc = performance.now();
      const sub = tf.slice(calib, 0, nChoice);
      const weights = v.options?.weights ? { weights: v.options.weights } : {};
      const choice = chooseActivationObservers(bases[v.base], sub, { ...weights, activationNodes, metric: 'kl', candidates: ['minmax', 'mse'], batchSize: bs });
      sub.dispose();
      const counts = new Map<string, number>();
      for (const n of choice.nodes) counts.set(n.chosen, (counts.get(n.chosen) ?? 0) + 1);
      report.note(`per-node observers on ${key} (minmax or mse per node, KL metric on ${nChoice} calibration crops, ${((performance.now() - tc) / 1000).toFixed(0)} s): ${[...counts].map(([k, c]) => `${k} x${c}`).join(', ')}`);
      choices.set(key, choice.observers);
    }
    return choices.get(key);
  };
  const rows: Array<Array<string | number>> = [];
  for (const v of variants) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const base = bases[v.base];
    let q: QuantizedModel;
    if (v.weightsOnly) {
      q = quantizeDynamic(base, { foldBatchNorm: false, ...(v.options?.weights ? { weights: v.options.weights } : {}) });
    } else {
      const options: QuantizeOptions = { ...v.options, activationNodes, ...(v.observers ? { activationObservers: observersFor(v) } : {}) };
      const prepared = prepareStatic(base, options);
      prepared.calibrate(calib, { batchSize: bs });
      q = prepared.convert();
      if (v.adaRound) {
        const r = adaRound(q, prepared, calib, { iterations: adaIters, batchSize: 8 });
        const changed = r.report.layers.reduce((s, l) => s + l.changed, 0);
        report.note(`${v.name}: AdaRound ${adaIters} steps per layer changed ${changed} integers in ${r.report.layers.length} layers`);
        q.dispose();
        q = r.model;
      }
      if (v.biasCorrection) {
        const c = correctBias(q, prepared, calib, { batchSize: bs });
        q.dispose();
        q = c.model;
      }
      prepared.dispose();
    }
    const out = q.predict(evalX, { batchSize: bs });
    const m = compare(ref, out);
    const flips = m.flipped.length > 12 ? `${m.flipped.slice(0, 12).map((x) => x.toFixed(3)).join(' ')} … (${m.flipped.length})` : m.flipped.map((x) => x.toFixed(3)).join(' ') || '(none)';
    rows.push([v.name, `${(100 * m.agreement).toFixed(2)}%`, m.kl.toExponential(2), flips, (process.cpuUsage(c0).user / 1e6).toFixed(0), ((performance.now() - t0) / 1000).toFixed(0)]);
    console.log(rows[rows.length - 1]!.join(' | '));
    tf.dispose(out);
    q.dispose();
  }
  const at = (p: number): string => percentile(margins, p).toFixed(3);
  report.table('mobilenet', {
    title: `nsfwjs MobileNetV2 (Keras LayersModel), int8; ${nCalib} calibration crops, ${nEval} held-out crops`,
    columns: ['method', 'top-1 agreement with float', 'mean KL(float || int8)', 'float top-1/top-2 margins of the flipped crops', 'CPU s', 'wall s'],
    rows,
    note: `Weights int8 symmetric (per-channel unless marked), every activation but the softmax output and the dense feeding it int8 affine per-tensor (min/max, MSE where marked, or the per-node choice). BN folded first. ${smoke ? '' : `AdaRound: ${adaIters} steps per layer, batch 8. Bias correction on the ${nCalib} calibration crops. `}Images unlabeled: agreement and KL are against the float model. Float predictions on the held-out crops: ${CLASSES.map((c, i) => `${c} ${classes[i]}`).join(', ')}; top-1/top-2 probability margin min ${at(0)}, 5% ${at(5)}, 10% ${at(10)}, 25% ${at(25)}, median ${at(50)}. CPU / wall seconds: the row's quantization and held-out evaluation on the shared, loaded machine (load-sensitive).`,
  });
  [model, folded, cle, cleAct].forEach((m) => m.dispose());
  tf.dispose([calib, evalX, ref]);
  report.write();
}

await main();
