/**
 * Attention forward on wasm (issue 14), timed interleaved at batch 64, forward alone and forward +
 * backward (gradients of every param and of the input), in three formulations of the same
 * function: `previous` (three projections, the scale applied to every query, one transpose per
 * q / k / v), `oneMatmul` (one concatenated q | k | v matmul, split by columns, then the same
 * transposes) and `now` (the `multiHeadAttention` op: three projections with the scale folded into
 * the q kernel). The bench first asserts all three agree: outputs within 1e-5, gradients within 1e-4
 * of their largest entry. Writes bench-results/attention.json.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { getOp, initBackend, type MultiHeadAttentionAttrs } from '@bonsai/core';
import { createReport, interleave, isSmoke, median, ms, pick, spread } from '@bonsai/bench-harness';

type Params = Record<string, tf.Tensor>;

/** The previous forward: separate projections, scaled queries, explicit per-tensor head transposes. */
function previousForward(x: tf.Tensor, p: Params, a: MultiHeadAttentionAttrs): tf.Tensor {
  const [b, t] = x.shape as [number, number, number];
  const split = (z: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(z, [b, t, a.numHeads, a.headDim]), [0, 2, 1, 3]);
  const x2 = tf.reshape(x, [b * t, x.shape[2]!]);
  const proj = (z: tf.Tensor, w: tf.Tensor, bias: tf.Tensor): tf.Tensor => tf.add(tf.matMul(z as tf.Tensor2D, w as tf.Tensor2D), bias);
  const q = split(tf.mul(proj(x2, p.wq!, p.bq!), 1 / Math.sqrt(a.headDim)));
  return attend(q, split(proj(x2, p.wk!, p.bk!)), split(proj(x2, p.wv!, p.bv!)), p, b, t, a);
}

/** One [D, 3*H*dh] matmul for q | k | v (kernels concatenated, scale folded), split by columns. */
function oneMatmulForward(x: tf.Tensor, p: Params, a: MultiHeadAttentionAttrs): tf.Tensor {
  const [b, t, d] = x.shape as [number, number, number];
  const s = 1 / Math.sqrt(a.headDim);
  const w = tf.concat([tf.mul(p.wq!, s), p.wk!, p.wv!], 1);
  const bias = tf.concat([tf.mul(p.bq!, s), p.bk!, p.bv!], 0);
  const qkv = tf.add(tf.matMul(tf.reshape(x, [b * t, d]) as tf.Tensor2D, w as tf.Tensor2D), bias);
  const [q, k, v] = tf.split(qkv, 3, 1).map((z) => tf.transpose(tf.reshape(z, [b, t, a.numHeads, a.headDim]), [0, 2, 1, 3]));
  return attend(q!, k!, v!, p, b, t, a);
}

/** Shared tail: softmax(Q K^T) V, heads merged, output projection. */
function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, p: Params, b: number, t: number, a: MultiHeadAttentionAttrs): tf.Tensor {
  const ctx = tf.matMul(tf.softmax(tf.matMul(q, k, false, true)), v);
  const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, a.numHeads * a.headDim]);
  return tf.reshape(tf.add(tf.matMul(merged as tf.Tensor2D, p.wo! as tf.Tensor2D), p.bo!), [b, t, p.wo!.shape[1]!]);
}

/** Wraps `fn` to also record its process CPU time (ms) into `into` (wall time is noisy on a shared machine). */
function withCpu(fn: () => void, into: number[]): () => void {
  return () => {
    const c = process.cpuUsage();
    fn();
    const d = process.cpuUsage(c);
    into.push((d.user + d.system) / 1000);
  };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

const info = await initBackend('wasm');
const batch = 64;
const runs = pick(21, 3);
const report = createReport({ bench: 'attention', settings: { batch, runs, backend: info } });
const op = getOp('multiHeadAttention');
const rows: string[][] = [];
const shapes = [{ t: 16, d: 48, h: 4 }, { t: 49, d: 64, h: 4 }];
for (const { t, d, h } of isSmoke() ? shapes.slice(0, 1) : shapes) {
  const a = op.normalizeAttrs({ numHeads: h, headDim: d / h }) as MultiHeadAttentionAttrs;
  const specs = op.paramShapes([[t, d]], a);
  const names = Object.keys(specs);
  const p: Params = Object.fromEntries(names.map((n, i) => [n, tf.randomNormal([...specs[n]!.shape], 0, 0.2, 'float32', i + 1)]));
  const x = tf.randomNormal([batch, t, d], 0, 1, 'float32', 99);
  const forwards: Record<string, (xx: tf.Tensor, pp: Params) => tf.Tensor> = {
    previous: (xx, pp) => previousForward(xx, pp, a),
    oneMatmul: (xx, pp) => oneMatmulForward(xx, pp, a),
    now: (xx, pp) => op.forward([xx], pp, a, { training: false } as never),
  };
  const r = tf.randomNormal([batch, t, d], 0, 1, 'float32', 98);
  const all = [x, ...names.map((n) => p[n]!)];
  const grads = Object.fromEntries(Object.entries(forwards).map(([k, f]) => [k, tf.grads((xx: tf.Tensor, ...ws: tf.Tensor[]) => tf.sum(tf.mul(f(xx, Object.fromEntries(names.map((n, i) => [n, ws[i]!]))), r)))]));
  // Same function: outputs within 1e-5; every gradient within 1e-4 of its largest entry (float32 sums over batch x tokens in another order).
  tf.tidy(() => {
    const y0 = forwards.previous!(x, p);
    const g0 = grads.previous!(all);
    for (const k of ['oneMatmul', 'now']) {
      const dy = maxAbsDiff(forwards[k]!(x, p), y0);
      const dg = Math.max(...grads[k]!(all).map((g, i) => maxAbsDiff(g, g0[i]!) / Math.max(1, tf.max(tf.abs(g0[i]!)).dataSync()[0]!)));
      if (!(dy < 1e-5 && dg < 1e-4)) throw new Error(`attention bench: ${k} differs from previous (output ${dy}, gradients ${dg})`);
    }
  });
  const keys = Object.keys(forwards);
  const cpuF = Object.fromEntries(keys.map((k) => [k, [] as number[]]));
  const cpuB = Object.fromEntries(keys.map((k) => [k, [] as number[]]));
  const fwd = await interleave(Object.fromEntries(keys.map((k) => [k, withCpu(() => tf.tidy(() => forwards[k]!(x, p).dataSync()), cpuF[k]!)])), { warmup: 3, runs });
  const bwd = await interleave(Object.fromEntries(keys.map((k) => [k, withCpu(() => tf.tidy(() => grads[k]!(all).forEach((g) => g.dataSync())), cpuB[k]!)])), { warmup: 3, runs });
  for (const k of keys) {
    rows.push([`T ${t}, D ${d}, ${h} heads`, k,
      ms(fwd.variants[k]!.median), k === 'previous' ? '' : spread(fwd.ratio(k, 'previous')), ms(median(cpuF[k]!)),
      ms(bwd.variants[k]!.median), k === 'previous' ? '' : spread(bwd.ratio(k, 'previous')), ms(median(cpuB[k]!))]);
  }
  tf.dispose([...all, r]);
}
report.table('attention', {
  title: `multiHeadAttention on ${info.name}, batch ${batch}: median ms of ${runs} interleaved rounds`,
  columns: ['tokens / width / heads', 'forward', 'forward ms', '÷ previous', 'forward CPU ms', 'fwd + bwd ms', '÷ previous', 'fwd + bwd CPU ms'],
  rows,
  note: `Ratios are paired per round (median and IQR); CPU ms are medians of process CPU time over the same rounds (warm-up included). Load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores at the end.`,
});
report.write();
