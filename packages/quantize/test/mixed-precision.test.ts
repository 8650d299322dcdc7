import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPrecisions, chooseMixedPrecision, foldBatchNorm, type WeightPrecision } from '../src/index';
import { fuzzQuantizedBytes } from './fuzz';
import { bandData, randomizeBatchNorm, tinyCnn, useWasm } from './helpers';

beforeAll(useWasm);

const outErr = (m: Model, ref: tf.Tensor, x: tf.Tensor): number => tf.tidy(() => tf.mean(tf.squaredDifference(m.predict(x), ref)).dataSync()[0]!);

describe('mixed precision', () => {
  it('meets the byte budget and beats uniform int4 on held-out data; a too-small budget is a ConfigError', () => {
    const raw = tinyCnn(3);
    randomizeBatchNorm(raw, 2);
    const model = foldBatchNorm(raw);
    const calib = bandData(64, 4, 1).x;
    const test = bandData(64, 4, 2).x;
    const before = tf.memory().numTensors;
    expect(() => chooseMixedPrecision(model, calib, { budgetBytes: 1 })).toThrow(ConfigError);
    const probe = chooseMixedPrecision(model, calib, { budgetBytes: 1e9, precisions: ['int4'] });
    const int4Bytes = probe.bytes;
    const int8Bytes = chooseMixedPrecision(model, calib, { budgetBytes: 1e9, precisions: ['int8'] }).bytes;
    const budget = Math.round(int4Bytes + 0.4 * (int8Bytes - int4Bytes));
    const plan = chooseMixedPrecision(model, calib, { budgetBytes: budget });
    expect(plan.bytes).toBeLessThanOrEqual(budget);
    expect(plan.bytes).toBeGreaterThan(int4Bytes);
    for (const l of plan.layers) expect(l.error.int8).toBeLessThan(l.error.int4);
    const kinds = new Set(plan.precisions.values());
    expect(kinds.size).toBeGreaterThan(1);
    const ref = model.predict(test);
    const uniform4 = applyPrecisions(model, new Map([...plan.precisions.keys()].map((k) => [k, 'int4' as WeightPrecision])));
    const mixed = applyPrecisions(model, plan.precisions);
    expect(outErr(mixed, ref, test)).toBeLessThan(outErr(uniform4, ref, test));
    // Same budget spent the other way round (least sensitive layers upgraded to int8 first): worse.
    const worst = new Map<string, WeightPrecision>();
    let bytes = int4Bytes;
    const order = [...plan.layers].sort((a, b) => (a.error.int4 - a.error.int8) / (a.bytes.int8 - a.bytes.int4) - (b.error.int4 - b.error.int8) / (b.bytes.int8 - b.bytes.int4));
    for (const l of order) {
      const up = bytes + l.bytes.int8 - l.bytes.int4 <= budget;
      worst.set(l.param, up ? 'int8' : 'int4');
      if (up) bytes += l.bytes.int8 - l.bytes.int4;
    }
    const reversed = applyPrecisions(model, worst);
    expect(outErr(mixed, ref, test)).toBeLessThan(outErr(reversed, ref, test));
    [uniform4, mixed, reversed].forEach((m) => m.dispose());
    ref.dispose();
    expect(tf.memory().numTensors).toBe(before);
    [raw, model].forEach((m) => m.dispose());
    tf.dispose([calib, test]);
  }, 60_000);
});

describe('saving a mixed-precision plan', () => {
  it('quantizeMixed gives applyPrecisions outputs, saves each weight at its width, and loads back identically', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { isFloat16Exact, loadQuantized, quantizeDynamic, quantizeMixed, saveQuantized, toQuantizedArtifacts } = await import('../src/index');
    const raw = tinyCnn(4);
    randomizeBatchNorm(raw, 3);
    const model = foldBatchNorm(raw);
    const x = bandData(16, 4, 3).x;
    const names = [...chooseMixedPrecision(model, x, { budgetBytes: 1e9, precisions: ['int8'] }).precisions.keys()];
    const precisions = new Map<string, WeightPrecision>(names.map((n, i) => [n, (['int4', 'int8', 'float16'] as const)[i % 3]!]));
    const simulated = applyPrecisions(model, precisions);
    const before = tf.memory().numTensors;
    const q = quantizeMixed(model, precisions);
    expect(tf.memory().numTensors).toBe(before + q.params.size);
    const out = (m: Model): Float32Array => tf.tidy(() => m.predict(x).dataSync() as Float32Array);
    const want = out(simulated);
    out(q).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const dir = await mkdtemp(join(tmpdir(), 'bonsai-mixed-'));
    const mixed = await saveQuantized(q, join(dir, 'mixed'));
    const back = await loadQuantized(join(dir, 'mixed'));
    expect(Array.from(out(back))).toEqual(Array.from(out(q)));
    for (const [name, p] of precisions) {
      const w = back.quantizedWeights.get(name);
      if (p === 'float16') expect(w).toBeUndefined();
      else expect(w!.qparams.bits).toBe(p === 'int4' ? 4 : 8);
    }
    // float16 layers take 2 bytes per value in weights.bin, the other float params (biases) 4.
    const half = names.filter((n) => precisions.get(n) === 'float16');
    expect(half.length).toBeGreaterThan(0);
    const floatParams = [...q.params.values()].filter((p) => !q.quantizedWeights.has(p.name));
    const expected = floatParams.reduce((n, p) => n + p.size * (half.includes(p.name) || isFloat16Exact(p.value.dataSync()) ? 2 : 4), 0);
    expect(mixed.files['weights.bin']).toBe(expected);
    const wide = await saveQuantized(q, join(dir, 'mixed-f32'), { float16: false });
    expect(wide.files['weights.bin']).toBe(floatParams.reduce((n, p) => n + 4 * p.size, 0));
    for (const h of half) expect(Array.from(back.params.get(h)!.value.dataSync())).toEqual(Array.from(q.params.get(h)!.value.dataSync()));
    // The float16 section is the tfjs manifest's: stock tf.io.decodeWeights reads it too.
    const art = await toQuantizedArtifacts(q);
    const specs = art.json.weightsManifest.flatMap((g) => g.weights);
    expect(specs.filter((s) => s.quantization?.dtype === 'float16').map((s) => s.name)).toEqual(expect.arrayContaining(half));
    const stock = tf.io.decodeWeights(art.weights, specs);
    for (const h of half) expect(Array.from(stock[h]!.dataSync())).toEqual(Array.from(q.params.get(h)!.value.dataSync()));
    tf.dispose(Object.values(stock));
    // Mutated weights.bin (bit flips can make a float16 NaN or Infinity, truncation, padding): typed errors only.
    await fuzzQuantizedBytes([art], x, out(q), { cases: 300, seed: 5, label: 'weights.bin (float16 section)', part: 'weights' });
    const uniform = quantizeDynamic(model, { foldBatchNorm: false });
    const int8 = await saveQuantized(uniform, join(dir, 'int8'));
    console.log(`mixed plan (int4/int8/float16 round robin) ${mixed.bytes} B vs uniform int8 ${int8.bytes} B`);
    expect(() => quantizeMixed(model, new Map([['nope/kernel', 'int8']]))).toThrow(ConfigError);
    [raw, model, simulated, q, back, uniform].forEach((m) => m.dispose());
    x.dispose();
    await rm(dir, { recursive: true, force: true });
  });
});
