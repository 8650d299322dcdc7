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
 * Env: BENCH_CALIB (default 32), BENCH_EVAL (default 192; the results file's sizes), BENCH_CHOICE (calibration crops the
 * per-node choice measures on, default 8), BENCH_SENSITIVITY (calibration crops the activation
 * sensitivity measures on, default 16), BENCH_ADAROUND_ITERS (default 20), BENCH_ROWS (a regular
 * expression: only the rows whose method matches run, printed, and no results file is written).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import {
  activationSensitivity, adaRound, chooseActivationObservers, correctBias, equalizeCrossLayer, foldBatchNorm, prepareStatic, quantizeDynamic,
  withFloatActivations, type QuantizeOptions, type QuantizedModel,
} from '@bonsai/quantize';
import { createReport, isSmoke, percentile, pick } from '@bonsai/bench-harness';
import { BATCH as bs, CLASSES, disposeCase, IMAGES, measureRow, MODEL_NAME, mobilenetCase } from './mobilenet-case';
import { int8ActivationNodes } from './real-model-fixtures';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);

interface Variant {
  name: string;
  /** Base model: BN folded, or folded + CLE on weight ranges / activation ranges. */
  base: 'folded' | 'cle' | 'cleAct';
  /** Weights only (quantizeDynamic): activations float. */
  weightsOnly?: boolean;
  observers?: boolean;
  adaRound?: boolean;
  biasCorrection?: boolean;
  /** Keep this many activations float: the most sensitive ones (activationSensitivity, KL, alone). */
  floatActivations?: number;
  options?: QuantizeOptions;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const smoke = isSmoke();
  const nCalib = env('BENCH_CALIB', pick(32, 4));
  const nEval = env('BENCH_EVAL', pick(192, 4));
  const nChoice = Math.min(nCalib, env('BENCH_CHOICE', 8));
  const nSensitivity = Math.min(nCalib, env('BENCH_SENSITIVITY', 16));
  const adaIters = env('BENCH_ADAROUND_ITERS', 20);
  const report = createReport({
    bench: 'real-models-mobilenet',
    settings: { model: MODEL_NAME, calibration: nCalib, eval: nEval, choiceCrops: nChoice, sensitivityCrops: nSensitivity, adaRoundIterations: adaIters, images: IMAGES },
  });
  const mc = await mobilenetCase(nCalib, nEval);
  const { model, calib, evalX, ref, margins, classes } = mc;
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
      { name: 'affine grid + MSE activation ranges + bias correction', base: 'folded', biasCorrection: true, options: affineGridMse },
      ...[1, 2, 3].map((k) => ({ name: `affine grid + MSE activation ranges, the ${k} most sensitive activation${k > 1 ? 's' : ''} float (${k} of ${activationNodes.length})`, base: 'folded' as const, floatActivations: k, options: affineGridMse })),
    );
  }
  const only = process.env.BENCH_ROWS ? new RegExp(process.env.BENCH_ROWS) : undefined;
  if (only) variants.splice(0, variants.length, ...variants.filter((v) => only.test(v.name)));
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
  // Keyed as the observer choice: the activations ranked by their KL alone (on the choice crops).
  const rankings = new Map<string, string[]>();
  const mostSensitive = (v: Variant, q: QuantizedModel, reference: Model): string[] => {
    const key = `${v.base} ${JSON.stringify(v.options ?? {})}`;
    if (!rankings.has(key)) {
      const tc = performance.now();
      const sub = tf.slice(calib, 0, nSensitivity);
      const ranked = activationSensitivity(q, reference, sub, { metric: 'kl', batchSize: bs }).sort((a, b) => b.alone - a.alone);
      sub.dispose();
      report.note(`activation sensitivity on ${key} (KL of the output with one activation int8, ${nSensitivity} calibration crops, ${((performance.now() - tc) / 1000).toFixed(0)} s): most sensitive ${ranked.slice(0, 4).map((r) => `${r.nodeId} ${r.alone.toExponential(2)}`).join(', ')} of ${ranked.length}`);
      rankings.set(key, ranked.map((r) => r.nodeId));
    }
    return rankings.get(key)!;
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
      if (v.floatActivations) {
        const mixed = withFloatActivations(q, mostSensitive(v, q, prepared).slice(0, v.floatActivations));
        q.dispose();
        q = mixed;
      }
      prepared.dispose();
    }
    const m = measureRow(mc, q);
    rows.push([v.name, m.agreement, m.kl, m.flips, (process.cpuUsage(c0).user / 1e6).toFixed(0), ((performance.now() - t0) / 1000).toFixed(0)]);
    console.log(rows[rows.length - 1]!.join(' | '));
    q.dispose();
  }
  const at = (p: number): string => percentile(margins, p).toFixed(3);
  report.table('mobilenet', {
    title: `nsfwjs MobileNetV2 (Keras LayersModel), int8; ${nCalib} calibration crops, ${nEval} held-out crops`,
    columns: ['method', 'top-1 agreement with float', 'mean KL(float || int8)', 'float top-1/top-2 margins of the flipped crops', 'CPU s', 'wall s'],
    rows,
    note: `Weights int8 symmetric (per-channel unless marked), every activation but the softmax output and the dense feeding it int8 affine per-tensor (min/max, MSE where marked, or the per-node choice). BN folded first. ${smoke ? '' : `AdaRound: ${adaIters} steps per layer, batch 8. Bias correction on the ${nCalib} calibration crops. `}Images unlabeled: agreement and KL are against the float model. Float predictions on the held-out crops: ${CLASSES.map((c, i) => `${c} ${classes[i]}`).join(', ')}; top-1/top-2 probability margin min ${at(0)}, 5% ${at(5)}, 10% ${at(10)}, 25% ${at(25)}, median ${at(50)}. CPU / wall seconds: the row's quantization and held-out evaluation on the shared, loaded machine (load-sensitive).`,
  });
  [folded, cle, cleAct].forEach((m) => m.dispose());
  disposeCase(mc);
  if (!only) report.write();
}

await main();
