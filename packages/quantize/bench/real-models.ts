/**
 * @bonsai/quantize on real pretrained GraphModels (interop's vendored fixtures from
 * @vladmandic/human 3.3.6) with unlabeled real images (seeded crops of the three vendored JPEG
 * photos of @bonsai/datasets): int8 static PTQ as in the last release vs + cross-layer
 * equalization (CLE, weight or activation ranges), + per-node observers chosen by measurement,
 * + AdaRound, + block reconstruction (BRECQ, optionally with LSQ activation steps, on more crops),
 * + empirical bias correction, + KL activation calibration, each step in the same run. Full runs also
 * write where the activation error comes from per node (activationSensitivity) and the mixed answer
 * (the k most sensitive activations kept float, k = 0..3).
 * Classifier (emotion, softmax over 7): top-1 agreement with float and mean KL(float || int8) on
 * held-out crops. Writes bench-results/real-models.json; smoke mode: 6 calibration and 8 held-out crops, the first three per-channel rows only.
 * Env: BENCH_CALIB (default 32), BENCH_EVAL (default 256), BENCH_ADAROUND_ITERS (default 20), BENCH_BLOCK_ITERS (default 80),
 * BENCH_CALIB_LARGE (default 128; another seed of crops, not the held-out seed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type Model, type NodeId } from '@bonsai/core';
import {
  activationSensitivity, adaRound, blockReconstruction, chooseActivationObservers, correctBias, equalizeCrossLayer, foldBatchNorm, prepareStatic, saveQuantized,
  type QuantizeOptions, type QuantizedModel,
} from '@bonsai/quantize';
import { createReport, isSmoke, pick } from '@bonsai/bench-harness';
// interop depends on quantize, so it cannot be a dependency of quantize: the bench reads its source.
import { importGraphModel } from '../../interop/src/index';
import { crops } from './photo-crops';
import { compareProbabilities as compare, fixtureModel, int8ActivationNodes } from './real-model-fixtures';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);

interface Variant {
  name: string;
  cle: 'none' | 'weights' | 'activations';
  adaRound?: boolean;
  /** Block reconstruction (BRECQ), optionally with LSQ activation steps. */
  block?: 'rounding' | 'lsq';
  /** Calibrate and reconstruct on the larger calibration set (BENCH_CALIB_LARGE crops). */
  large?: boolean;
  biasCorrection: boolean;
  options: QuantizeOptions;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const nCalib = env('BENCH_CALIB', pick(32, 6));
  const nEval = env('BENCH_EVAL', pick(256, 8));
  // Lean run (BENCH_REAL_LEAN=1, own results file): the base, BRECQ + LSQ, the per-node table and the mixed table only.
  const lean = process.env.BENCH_REAL_LEAN === '1';
  const report = createReport({ bench: lean ? 'real-models-lean' : 'real-models', settings: { model: 'emotion (@vladmandic/human 3.3.6, 64x64x1, 7 classes)', calibration: nCalib, eval: nEval, images: 'seeded crops of 3 real photos (samples.jpg, screenshot-faceid.jpg, screenshot-vrm.jpg)' } });
  const model: Model = await importGraphModel(fixtureModel('emotion'));
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const calib = await crops(nCalib, 1, shape);
  const nLarge = env('BENCH_CALIB_LARGE', 128);
  // More seeded crops of the same photos (seed 3; the held-out crops are seed 2), full runs only.
  const large = isSmoke() ? calib : await crops(nLarge, 3, shape);
  const evalX = await crops(nEval, 2, shape);
  const ref = model.predict(evalX, { batchSize: 32 });
  const margins = tf.tidy(() => {
    const top = tf.topk(ref, 2).values;
    return Array.from(tf.sub(tf.slice(top, [0, 0], [-1, 1]), tf.slice(top, [0, 1], [-1, 1])).dataSync()).sort((a, b) => a - b);
  });
  const folded = foldBatchNorm(model);
  const t0 = performance.now();
  const { model: equalized, pairs } = equalizeCrossLayer(folded);
  const maxDelta = (m: Model): string => tf.tidy(() => tf.max(tf.abs(tf.sub(m.predict(evalX, { batchSize: 32 }), ref))).dataSync()[0]!).toExponential(2);
  report.note(`cross-layer equalization: ${pairs.length} pairs in ${((performance.now() - t0) / 1000).toFixed(2)} s; float max |Δ| after CLE ${maxDelta(equalized)}`);
  const { model: actEqualized } = equalizeCrossLayer(folded, { data: calib, ranges: 'activations' });
  report.note(`CLE on activation ranges (calibration data): float max |Δ| ${maxDelta(actEqualized)}`);
  const adaIters = env('BENCH_ADAROUND_ITERS', 20);
  // The per-node choice and AdaRound are the slow steps (minutes on a loaded machine): full runs only.
  const slow = !isSmoke();
  const perTensor: QuantizeOptions = { weights: { perChannel: false } };
  // The softmax output stays float (int8 probabilities round small ones to 0, which alone costs ~1e-2 of KL).
  const g = equalized.graph;
  const activationNodes = int8ActivationNodes(g);
  // KL on the hidden activations only (the per-node override): the graph input keeps min/max.
  const hidden = activationNodes.filter((id) => !g.inputs.includes(id));
  const kl: QuantizeOptions = { activationObservers: Object.fromEntries(hidden.map((id) => [id, 'kl' as const])) };
  const tc = performance.now();
  const choice = slow && !lean ? chooseActivationObservers(actEqualized, calib, { activationNodes, metric: 'kl', candidates: ['minmax', 'mse'] }) : undefined;
  const chosen: QuantizeOptions = { activationObservers: choice?.observers ?? {} };
  const counts = new Map<string, number>();
  for (const n of choice?.nodes ?? []) counts.set(n.chosen, (counts.get(n.chosen) ?? 0) + 1);
  if (choice) report.note(`per-node observers (minmax or mse, on CLE-activations, KL metric, ${((performance.now() - tc) / 1000).toFixed(1)} s): ${[...counts].map(([k, c]) => `${k} x${c}`).join(', ')}`);
  const variants: Variant[] = [];
  if (lean) {
    variants.push({ name: '+ CLE on activation ranges (per-channel weights)', cle: 'activations', biasCorrection: false, options: { activationNodes } });
    variants.push({ name: '+ CLE act. + BRECQ + LSQ activation steps', cle: 'activations', block: 'lsq', biasCorrection: false, options: { activationNodes } });
  }
  // Smoke: per-channel only, the first three rows (keeps `pnpm bench:smoke` short).
  for (const [label, base] of lean ? [] : slow ? [['per-channel', {}], ['per-tensor', perTensor]] as const : [['per-channel', {}]] as const) {
    const opts: QuantizeOptions = { ...base, activationNodes };
    variants.push({ name: `int8 static PTQ ${label} (last release)`, cle: 'none', biasCorrection: false, options: opts });
    variants.push({ name: `+ CLE`, cle: 'weights', biasCorrection: false, options: opts });
    variants.push({ name: `+ CLE + bias correction`, cle: 'weights', biasCorrection: true, options: opts });
    if (!slow) continue;
    variants.push({ name: `+ CLE + bias correction + KL hidden activations`, cle: 'weights', biasCorrection: true, options: { ...opts, ...kl } });
    variants.push({ name: `+ CLE on activation ranges`, cle: 'activations', biasCorrection: false, options: opts });
    variants.push({ name: `+ CLE act. + per-node observers`, cle: 'activations', biasCorrection: false, options: { ...opts, ...chosen } });
    if (label === 'per-tensor') continue; // AdaRound: per-channel only
    variants.push({ name: `+ CLE act. + per-node observers + AdaRound`, cle: 'activations', adaRound: true, biasCorrection: false, options: { ...opts, ...chosen } });
    variants.push({ name: `+ CLE act. + per-node observers + block reconstruction (BRECQ)`, cle: 'activations', block: 'rounding', biasCorrection: false, options: { ...opts, ...chosen } });
    variants.push({ name: `+ CLE act. + per-node observers + BRECQ + LSQ activation steps, ${nLarge} calibration crops`, cle: 'activations', block: 'lsq', large: true, biasCorrection: false, options: { ...opts, ...chosen } });
  }
  const rows: Array<Array<string | number>> = [];
  const blockIters = env('BENCH_BLOCK_ITERS', 80);
  const blockSettings = { iterations: blockIters, batchSize: 8, lr: 0.1, regularization: 1, scaleLr: 0.01 };
  let best: { q: QuantizedModel; name: string } | undefined;
  for (const v of variants) {
    const t = performance.now();
    const prepared = prepareStatic({ none: folded, weights: equalized, activations: actEqualized }[v.cle], v.options);
    const data = v.large ? large : calib;
    prepared.calibrate(data, { batchSize: 32 });
    let q: QuantizedModel = prepared.convert();
    if (v.adaRound) {
      const r = adaRound(q, prepared, calib, { iterations: adaIters, batchSize: 8 });
      q.dispose();
      q = r.model;
    }
    if (v.block) {
      const r = blockReconstruction(q, prepared, data, { ...blockSettings, learnActivationScales: v.block === 'lsq' });
      report.note(`${v.name}: ${r.report.blocks.map((b) => `block of ${b.nodes.length} nodes ${b.kept} (${b.nearestError.toExponential(2)} -> ${b.learnedError.toExponential(2)}, ${b.changed} integers moved)`).join('; ')}`);
      q.dispose();
      q = r.model;
    }
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
    if (v.block === 'lsq') best = { q, name: v.name };
    else q.dispose();
    prepared.dispose();
  }
  report.table(lean ? 'emotion-lean' : 'emotion', {
    title: `emotion GraphModel, int8 weights + activations; ${nCalib} calibration crops, ${nEval} held-out crops`,
    columns: ['method', 'top-1 agreement with float', 'mean KL(float || int8)', 'seconds'],
    rows,
    note: `Weights int8 (per-channel or per-tensor, symmetric), every activation but the softmax output int8 affine per-tensor (min/max, KL where marked, or the per-node choice). ${slow ? `AdaRound: ${adaIters} steps per layer, batch 8. Block reconstruction: reconstructionBlocks (5 blocks: 2 conv+ReLU, 2 residual blocks cut at their add, the head), ${blockIters} steps per block, batch 8, lr 0.1, λ 1, LSQ step lr 0.01; inputs from the already reconstructed int8 model. ` : ''}Images are unlabeled: agreement and KL are against the float model. Crops come from 3 photos only, so they are correlated; in the float model the top-1/top-2 probability margin of the held-out crops is below ${margins[Math.floor(0.05 * margins.length)]!.toFixed(3)} for 5% and below ${margins[Math.floor(0.1 * margins.length)]!.toFixed(3)} for 10% of them (near ties that any rounding can flip).`,
  });
  const reconstruct = (q: QuantizedModel, reference: Model): QuantizedModel => blockReconstruction(q, reference, calib, { ...blockSettings, learnActivationScales: true }).model;
  if (slow) await sensitivityAndMixed(report, actEqualized, activationNodes, calib, evalX, ref, best, reconstruct);
  best?.q.dispose();
  [model, folded, equalized, actEqualized].forEach((m) => m.dispose());
  tf.dispose([calib, evalX, ref]);
  if (large !== calib) large.dispose();
  report.write();
}

const short = (id: string): string => id.replace('StatefulPartitionedCall/model_1/', '');

/**
 * Step 1 (where the error comes from, activations only: weights float) and step 3 (the mixed
 * answer: the k most sensitive activations, ranked on the calibration crops, kept float).
 */
async function sensitivityAndMixed(
  report: ReturnType<typeof createReport>, base: Model, nodes: NodeId[], calib: tf.Tensor, evalX: tf.Tensor, ref: tf.Tensor,
  best: { q: QuantizedModel; name: string } | undefined, reconstruct: (q: QuantizedModel, reference: Model) => QuantizedModel,
): Promise<void> {
  const prepared = prepareStatic(base, { activationNodes: nodes, skip: base.graph.nodes.map((n) => n.id) });
  prepared.calibrate(calib, { batchSize: 32 });
  const actOnly = prepared.convert();
  const held = activationSensitivity(actOnly, prepared, evalX, { metric: 'kl' });
  const ranking = activationSensitivity(actOnly, prepared, calib, { metric: 'kl' }).sort((a, b) => b.alone - a.alone);
  report.table('emotion-layers', {
    title: `emotion GraphModel: where the int8 activation error comes from (weights float; KL(float || int8) of the output on ${evalX.shape[0]} held-out crops)`,
    columns: ['node', 'op', 'KL, only this activation int8', 'KL, this and all earlier int8', 'rel. error of this node (this and earlier int8)', 'sensitivity rank (calibration crops)'],
    rows: held.map((h) => [short(h.nodeId), base.graph.node(h.nodeId).op, h.alone.toExponential(2), h.cumulative.toExponential(2), `${(100 * h.relativeError).toFixed(2)}%`, ranking.findIndex((r) => r.nodeId === h.nodeId) + 1]),
    note: 'activationSensitivity on CLE (activation ranges) + min/max activation parameters; weights stay float to isolate the activations. The rank orders the nodes by the "only this" KL on the 32 calibration crops (not the held-out ones); the mixed table keeps the first k float.',
  });
  const worst = [...held].sort((a, b) => b.alone - a.alone).slice(0, 4);
  report.note(`worst activations (held-out KL, only that node int8): ${worst.map((w) => `${short(w.nodeId)} ${w.alone.toExponential(2)}`).join(', ')}`);
  actOnly.dispose();
  prepared.dispose();
  if (!best) return;
  const dir = await mkdtemp(join(tmpdir(), 'bonsai-real-mixed-'));
  const rows: Array<Array<string | number>> = [];
  for (const k of [0, 1, 2, 3]) {
    const kept = ranking.slice(0, k).map((r) => r.nodeId);
    // The float nodes are chosen before reconstruction, so that the blocks learn around them.
    const p = prepareStatic(base, { activationNodes: nodes.filter((id) => !kept.includes(id)) });
    p.calibrate(calib, { batchSize: 32 });
    const ptq = p.convert();
    const ptqOut = ptq.predict(evalX, { batchSize: 32 });
    const before = compare(ref, ptqOut);
    const q = k === 0 ? best.q : reconstruct(ptq, p);
    const out = q.predict(evalX, { batchSize: 32 });
    const m = compare(ref, out);
    const { bytes } = await saveQuantized(q, join(dir, `k${k}`));
    rows.push([k, kept.map(short).join(', ') || '(none)', `${(100 * before.agreement).toFixed(2)}% / ${before.kl.toExponential(2)}`, `${(100 * m.agreement).toFixed(2)}%`, m.kl.toExponential(2), bytes, `${q.activationQParams.size}/${nodes.length}`]);
    console.log(rows[rows.length - 1]!.join(' | '));
    tf.dispose([out, ptqOut]);
    if (q !== best.q) q.dispose();
    ptq.dispose();
    p.dispose();
  }
  await rm(dir, { recursive: true, force: true });
  report.table('emotion-mixed', {
    title: `emotion GraphModel: the mixed answer, k most sensitive activations kept float, then block reconstruction + LSQ (as ${best.name})`,
    columns: ['k', 'activations kept float32', 'PTQ only: agreement / KL', 'top-1 agreement', 'mean KL', 'file bytes (saveQuantized)', 'int8 activations'],
    rows,
    note: 'The k nodes stay float before calibration and reconstruction (kept float after reconstruction instead, agreement fell to 92.58% / 91.41% / 93.75% for k = 1 / 2 / 3 in an earlier run of this bench: the learned rounding and steps compensate for the int8 activation they were learned with). Bonsai\'s int8 format has no int16 activations, so the wider type is float32: those nodes\' consumers run in float (with integer kernels, the int8 chain breaks there). The file size barely changes (weights stay int8; an activation entry is a few bytes). The mixed rows use the 32 calibration crops for both the ranking and the reconstruction.',
  });
}

await main();
