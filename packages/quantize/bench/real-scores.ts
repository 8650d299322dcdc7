/**
 * @bonsai/quantize on the real pretrained MediaPipe hand-landmark GraphModel (handlandmark-lite,
 * interop's vendored fixture from @vladmandic/human 3.3.6; MobileNetV2-class, ReLU6, 224x224x3, 4
 * regression/score outputs) with unlabeled real images (seeded crops of the three vendored photos):
 * int8 static PTQ as in the last release vs + ReLU6-aware cross-layer equalization (weight or
 * activation ranges). The outputs are landmarks and scores, not classes, so the table gives, per
 * output, max |Δ| and the relative error ||int8 - float||₂ / ||float||₂ over the held-out crops.
 * Writes bench-results/real-scores.json; smoke mode: 2 crops, no CLE rows (keeps `pnpm bench:smoke` short).
 * Env: BENCH_CALIB (default 32), BENCH_EVAL (default 32).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import { blockReconstruction, equalizeCrossLayer, foldBatchNorm, prepareStatic, quantizeDynamic, type QuantizedModel } from '@bonsai/quantize';
import { createReport, isSmoke, pick } from '@bonsai/bench-harness';
// interop depends on quantize, so it cannot be a dependency of quantize: the bench reads its source.
import { importGraphModel } from '../../interop/src/index';
import { crops } from './photo-crops';
import { fixtureModel, int8ActivationNodes } from './real-model-fixtures';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);

/** Every output of `model` on `x`, batch by batch, concatenated (the caller disposes). */
function outputsOf(model: Model, x: tf.Tensor, batchSize: number): tf.Tensor[] {
  const parts: tf.Tensor[][] = [];
  const n = x.shape[0]!;
  for (let i = 0; i < n; i += batchSize) {
    const xb = tf.slice(x, i, Math.min(batchSize, n - i));
    parts.push(model.run(xb).outputs);
    xb.dispose();
  }
  const out = parts[0]!.map((_, k) => tf.concat(parts.map((p) => p[k]!)));
  tf.dispose(parts.flat());
  return out;
}

/** `max |Δ| / relative error` of one output. */
function errorOf(ref: tf.Tensor, got: tf.Tensor): string {
  return tf.tidy(() => {
    const d = tf.sub(got, ref);
    const max = tf.max(tf.abs(d)).dataSync()[0]!;
    const rel = tf.div(tf.norm(d), tf.norm(ref)).dataSync()[0]!;
    return `${max.toExponential(2)} / ${(100 * rel).toFixed(2)}%`;
  });
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const nCalib = env('BENCH_CALIB', pick(32, 2));
  const nEval = env('BENCH_EVAL', pick(32, 2));
  const report = createReport({ bench: 'real-scores', settings: { model: 'handlandmark-lite (@vladmandic/human 3.3.6, MediaPipe, 224x224x3, ReLU6)', calibration: nCalib, eval: nEval, images: 'seeded crops of 3 real photos, [0, 1] RGB' } });
  const model: Model = await importGraphModel(fixtureModel('handlandmark-lite'));
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const calib = await crops(nCalib, 1, shape);
  const evalX = await crops(nEval, 2, shape);
  const bs = 8;
  const ref = outputsOf(model, evalX, bs);
  const names = model.graph.outputs.map((id, k) => `${id.split('/').pop()} [${ref[k]!.shape.slice(1).join('x')}]`);
  const folded = foldBatchNorm(model);
  const g = folded.graph;
  // The outputs stay float (as in the emotion bench): int8 landmarks would add a pure rounding error.
  const activationNodes = int8ActivationNodes(g);
  const rows: Array<Array<string | number>> = [];
  const record = (name: string, make: () => QuantizedModel): void => {
    const t = performance.now();
    const c0 = process.cpuUsage().user;
    const q = make();
    const out = outputsOf(q, evalX, bs);
    rows.push([name, ...out.map((o, k) => errorOf(ref[k]!, o)), ((process.cpuUsage().user - c0) / 1e6).toFixed(1), ((performance.now() - t) / 1000).toFixed(1)]);
    console.log(rows[rows.length - 1]!.join(' | '));
    tf.dispose(out);
    q.dispose();
  };
  const staticPtq = (m: Model): QuantizedModel => {
    const p = prepareStatic(m, { activationNodes, foldBatchNorm: false });
    try {
      p.calibrate(calib, { batchSize: bs });
      return p.convert();
    } finally {
      p.dispose();
    }
  };
  record('int8 weights only (dynamic, per-channel)', () => quantizeDynamic(folded, { foldBatchNorm: false }));
  record('int8 static PTQ per-channel (last release)', () => staticPtq(folded));
  if (isSmoke()) {
    report.table('handlandmark', { title: 'handlandmark-lite (smoke: no CLE rows)', columns: ['method', ...names, 'CPU s', 'wall s'], rows });
    [model, folded].forEach((m) => m.dispose());
    tf.dispose([calib, evalX, ...ref]);
    report.write();
    return;
  }
  const t0 = performance.now();
  const { model: equalized, pairs } = equalizeCrossLayer(folded, { data: calib });
  report.note(`ReLU6-aware CLE (weight ranges, calibration data for the clip bounds): ${pairs.length} pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  record('+ CLE (ReLU6-aware)', () => staticPtq(equalized));
  const { model: actEqualized, pairs: actPairs } = equalizeCrossLayer(folded, { data: calib, ranges: 'activations' });
  report.note(`CLE on activation ranges: ${actPairs.length} pairs`);
  record('+ CLE on activation ranges', () => staticPtq(actEqualized));
  const blockIters = env('BENCH_BLOCK_ITERS', 30);
  record('+ CLE act. + block reconstruction (BRECQ) + LSQ activation steps', () => {
    const p = prepareStatic(actEqualized, { activationNodes, foldBatchNorm: false });
    try {
      p.calibrate(calib, { batchSize: bs });
      const q = p.convert();
      const r = blockReconstruction(q, p, calib, { iterations: blockIters, batchSize: 4, lr: 0.1, regularization: 1, scaleLr: 0.01, learnActivationScales: true });
      q.dispose();
      const learned = r.report.blocks.filter((b) => b.kept === 'learned');
      report.note(`block reconstruction: ${r.report.blocks.length} blocks (reconstructionBlocks), ${blockIters} steps each, batch 4; ${learned.length} kept the learned rounding/steps, block output MSE summed ${r.report.blocks.reduce((a, b) => a + b.nearestError, 0).toExponential(2)} -> ${r.report.blocks.reduce((a, b) => a + Math.min(b.nearestError, b.learnedError), 0).toExponential(2)}`);
      return r.model;
    } finally {
      p.dispose();
    }
  });
  report.table('handlandmark', {
    title: `handlandmark-lite GraphModel, int8 per-channel weights + int8 activations; ${nCalib} calibration crops, ${nEval} held-out crops`,
    columns: ['method', ...names.map((n) => `${n}: max |Δ| / rel. error`), 'CPU s', 'wall s'],
    rows,
    note: 'Weights int8 per-channel symmetric; every activation except the output heads int8 affine per-tensor (min/max). Errors are against the float model on the same unlabeled crops (rel. error = ||int8 - float||₂ / ||float||₂ over all held-out crops). Outputs as the MediaPipe hand-landmark model names them: Identity = 21 image landmarks (x, y, z in pixels), Identity_1 = hand presence score, Identity_2 = handedness, Identity_3 = 21 world landmarks (metres, small values, so their relative error is large). Crops of 3 photos are mostly not hands, so these are what the model outputs on such inputs.',
  });
  [model, folded, equalized, actEqualized].forEach((m) => m.dispose());
  tf.dispose([calib, evalX, ...ref]);
  report.write();
}

await main();
