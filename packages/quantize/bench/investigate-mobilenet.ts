/**
 * Issue 17 investigation (not part of bench/index.ts): on nsfwjs MobileNetV2 with a few real crops,
 * where does the weight-only int8 error come from? Float reference path (fused vs unfused), BN
 * folding, float16 vs int8 weights, one layer at a time, distinct values per kernel.
 * Run: npx tsx bench/investigate-mobilenet.ts  (env INV_CALIB, INV_EVAL)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { getOp, initBackend, type Model } from '@bonsai/core';
import { foldBatchNorm, quantizeDynamic, weightTargets, prepareStatic } from '@bonsai/quantize';
import { importLayersModel } from '../../interop/src/index';
import { crops, DATASET_PHOTOS, MORE_PHOTOS } from './photo-crops';
import { compareProbabilities as compare, int8ActivationNodes } from './real-model-fixtures';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../interop/test/fixtures/layers-model/nsfwjs-mobilenet-v2');
const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);

await initBackend('wasm');
const model: Model = await importLayersModel(FIXTURE);
const shape = model.graph.shape(model.graph.inputs[0]!);
const photos = [...DATASET_PHOTOS, ...MORE_PHOTOS];
const calib = await crops(env('INV_CALIB', 16), 1, shape, { photos, flips: true });
const evalX = await crops(env('INV_EVAL', 48), 2, shape, { photos, flips: true });
const bs = 16;
const unfused = (m: Model): tf.Tensor => {
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < evalX.shape[0]!; i += bs) {
    const xb = tf.slice(evalX, [i], [Math.min(bs, evalX.shape[0]! - i)]);
    parts.push(m.run(xb, { fuse: false }).output);
    xb.dispose();
  }
  const o = tf.concat(parts, 0);
  tf.dispose(parts);
  return o;
};
const ref = model.predict(evalX, { batchSize: bs });
const line = (name: string, out: tf.Tensor): void => {
  const m = compare(ref, out);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(out, ref))).dataSync()[0]!);
  console.log(`${name}: agree ${(100 * m.agreement).toFixed(2)}% KL ${m.kl.toExponential(2)} max|Δp| ${d.toExponential(2)}`);
};
const sel = process.env.INV_STEPS ?? 'ref,fold,w,layers,values,act';
if (sel.includes('ref')) {
  const u = unfused(model); line('float unfused vs fused (reference path)', u); u.dispose();
}
const folded = foldBatchNorm(model);
if (sel.includes('fold')) {
  const f = folded.predict(evalX, { batchSize: bs }); line('float BN-folded (fused)', f); f.dispose();
  const fu = unfused(folded); line('float BN-folded (unfused)', fu); fu.dispose();
}
/** A float clone of `base` with `names`' kernels replaced by fn(kernel). */
const withWeights = (base: Model, names: Iterable<string>, fn: (p: tf.Tensor, axis: number | undefined) => tf.Tensor, axes: Map<string, number | undefined>): Model => {
  const c = base.clone();
  for (const n of names) {
    const p = c.params.get(n)!;
    const v = tf.tidy(() => fn(p.value, axes.get(n)));
    p.value.assign(v);
    v.dispose();
  }
  return c;
};
const targets = weightTargets(folded, {});
const axes = new Map([...targets].map(([n, s]) => [n, s.axis]));
const int8pc = (w: tf.Tensor, axis: number | undefined): tf.Tensor => tf.tidy(() => {
  const red = w.shape.map((_, i) => i).filter((i) => i !== axis);
  const m = tf.max(tf.abs(w), red, true);
  const s = tf.maximum(tf.div(m, 127), 1e-30);
  return tf.mul(tf.clipByValue(tf.round(tf.div(w, s)), -127, 127), s);
});
const f16 = (w: tf.Tensor): tf.Tensor => {
  const a = w.dataSync();
  const buf = new Float32Array(a.length);
  // round to float16 via DataView-free bit trick: use Math.fround on scaled mantissa
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v === 0) { buf[i] = 0; continue; }
    const e = Math.floor(Math.log2(Math.abs(v)));
    const q = 2 ** (Math.max(e, -14) - 10);
    buf[i] = Math.round(v / q) * q;
  }
  return tf.tensor(buf, w.shape);
};
if (sel.includes('w')) {
  const names = [...targets.keys()];
  const a = withWeights(folded, names, (w) => f16(w), axes); const o1 = a.predict(evalX, { batchSize: bs }); line('float16 weights (float model, fused)', o1); o1.dispose(); a.dispose();
  const b = withWeights(folded, names, int8pc, axes); const o2 = b.predict(evalX, { batchSize: bs }); line('int8 per-channel weights (float model, fused)', o2); o2.dispose();
  const o3 = unfused(b); line('int8 per-channel weights (float model, unfused)', o3); o3.dispose(); b.dispose();
  const q = quantizeDynamic(folded, { foldBatchNorm: false }); const o4 = q.predict(evalX, { batchSize: bs }); line('quantizeDynamic (QuantizedModel)', o4); o4.dispose(); q.dispose();
  const qg = quantizeDynamic(folded, { foldBatchNorm: false, weights: { observer: 'grid' } }); const o5 = qg.predict(evalX, { batchSize: bs }); line('quantizeDynamic, grid observer', o5); o5.dispose();
  let exact = 0; let total = 0;
  for (const n of qg.quantizedWeights.keys()) { total++; const d = tf.tidy(() => tf.max(tf.abs(tf.sub(qg.params.get(n)!.value, folded.params.get(n)!.value))).dataSync()[0]!); if (d < 1e-5 * 1) exact++; }
  console.log(`grid: ${exact}/${total} kernels within 1e-5`);
  qg.dispose();
  for (const obs of ['minmax', 'grid'] as const) {
    const p = prepareStatic(folded, { activationNodes: int8ActivationNodes(folded.graph), weights: { observer: obs } });
    p.calibrate(calib, { batchSize: bs });
    const qs = p.convert(); const o6 = qs.predict(evalX, { batchSize: bs }); line(`static per-channel, ${obs} weights`, o6); o6.dispose(); qs.dispose(); p.dispose();
  }
}
if (sel.includes('values')) {
  for (const [n, s] of targets) {
    const p = model.params.get(n) ?? folded.params.get(n)!;
    const orig = model.params.get(n);
    const distinct = orig ? new Set(orig.value.dataSync()).size : -1;
    const node = folded.graph.node(p.nodeId);
    console.log(`  ${n} op ${node.op} shape [${p.shape.join(',')}] axis ${s.axis} distinct(orig) ${distinct} of ${p.size}`);
  }
}
if (sel.includes('layers')) {
  const res: Array<[string, number, number]> = [];
  for (const n of targets.keys()) {
    const c = withWeights(folded, [n], int8pc, axes);
    const o = c.predict(evalX, { batchSize: bs });
    const m = compare(ref, o);
    res.push([n, m.kl, m.agreement]);
    o.dispose(); c.dispose();
  }
  res.sort((a, b) => b[1] - a[1]);
  console.log('per-layer weight sensitivity (int8 pc one layer):');
  for (const [n, kl, ag] of res.slice(0, 15)) console.log(`  ${n}: KL ${kl.toExponential(2)} agree ${(100 * ag).toFixed(1)}%`);
}
if (sel.includes('act')) {
  const nodes = int8ActivationNodes(folded.graph);
  const res: Array<[string, number, number]> = [];
  for (const id of nodes) {
    const p = prepareStatic(folded, { activationNodes: [id], skip: [...new Set([...targets.keys()].map((n) => n.slice(0, n.lastIndexOf('/'))))] });
    p.calibrate(calib, { batchSize: bs });
    const q = p.convert();
    const o = q.predict(evalX, { batchSize: bs });
    const m = compare(ref, o);
    res.push([`${id} (${getOp(folded.graph.node(id).op, id).fusedActivation ? 'act' : folded.graph.node(id).op})`, m.kl, m.agreement]);
    o.dispose(); q.dispose(); p.dispose();
  }
  res.sort((a, b) => b[1] - a[1]);
  console.log('per-activation sensitivity (int8 one activation, weights float):');
  for (const [n, kl, ag] of res.slice(0, 15)) console.log(`  ${n}: KL ${kl.toExponential(2)} agree ${(100 * ag).toFixed(1)}%`);
}
console.log('tensors', tf.memory().numTensors);
