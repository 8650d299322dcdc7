import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, load, SerializationError, type Model } from '@bonsai/core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeValues, encodeTfjsWeights, encodeValues, fromQuantizedArtifacts, loadQuantized, packBits, prepareStatic, quantizeDynamic,
  saveQuantized, saveTfjsQuantized, toFloat16Bits, toQuantizedArtifacts, unpackBits, type QuantizedModel,
} from '../src/index';
import { ByteReader, ByteWriter } from '../src/packing';
import { bandData, maxAbsDiff, outputOf, randomizeBatchNorm, tinyCnn, useWasm } from './helpers';

let dir: string;
let model: Model;
let x: tf.Tensor;

beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(join(tmpdir(), 'bonsai-quantize-'));
  model = tinyCnn(11);
  randomizeBatchNorm(model, 4);
  x = bandData(20).x;
});

afterAll(async () => {
  model.dispose();
  x.dispose();
  await rm(dir, { recursive: true, force: true });
});

function staticModel(m: Model): QuantizedModel {
  const p = prepareStatic(m);
  p.calibrate(x);
  const q = p.convert();
  p.dispose();
  return q;
}

async function roundTrip(q: QuantizedModel, name: string, compress = true): Promise<{ loaded: QuantizedModel; bytes: number }> {
  const sub = join(dir, name);
  const { bytes } = await saveQuantized(q, sub, { compress });
  const loaded = await loadQuantized(sub);
  expect(Array.from(outputOf(loaded, x))).toEqual(Array.from(outputOf(q, x)));
  expect(loaded.mode).toBe(q.mode);
  for (const [k, v] of q.quantizedWeights) expect(Array.from(loaded.quantizedWeights.get(k)!.values)).toEqual(Array.from(v.values));
  return { loaded, bytes };
}

describe('bit packing and sparse encodings', () => {
  it('packs and unpacks any width 2..8', () => {
    for (const bits of [2, 3, 4, 5, 7, 8]) {
      const v = Int32Array.from({ length: 37 }, (_, i) => (i * 7) % 2 ** bits);
      expect(Array.from(unpackBits(packBits(v, bits), v.length, bits))).toEqual(Array.from(v));
    }
  });

  it('picks dense, bitmap or delta by size and decodes each exactly', () => {
    const cases: Array<[string, number]> = [['dense', 0.9], ['bitmap', 0.3], ['delta', 0.02]];
    for (const [want, density] of cases) {
      const q = Int32Array.from({ length: 4000 }, (_, i) => (((i * 2654435761) >>> 0) % 1000 < density * 1000 ? ((i % 255) - 127) || 5 : 0));
      const w = new ByteWriter();
      const { encoding, nnz } = encodeValues(q, -128, 8, (i) => q[i] === 0, w);
      expect(encoding).toBe(want);
      const bytes = w.result();
      const back = decodeValues(new ByteReader(bytes, bytes.length, 0, 'f'), encoding, q.length, nnz, -128, 8, () => 0, 'f');
      expect(Array.from(back)).toEqual(Array.from(q));
    }
  });
});

describe('saveQuantized / loadQuantized', () => {
  it('static int8 per-channel: identical outputs after a round trip', async () => {
    const q = staticModel(model);
    const { loaded } = await roundTrip(q, 'static');
    expect([...loaded.activationQParams.keys()]).toEqual([...q.activationQParams.keys()]);
    const json = JSON.parse(await readFile(join(dir, 'static', 'model.json'), 'utf8')) as { quantization: { weights: Array<{ encoding: string }>; compression: string } };
    expect(json.quantization.compression).toBe('deflate');
    q.dispose();
    loaded.dispose();
  });

  it('dynamic int4 affine, uncompressed: identical outputs', async () => {
    const q = quantizeDynamic(model, { weights: { dtype: 'int4', symmetric: false } });
    const { loaded } = await roundTrip(q, 'int4', false);
    expect(loaded.quantizedWeights.get('fc1/kernel')!.qparams.qmax).toBe(7);
    q.dispose();
    loaded.dispose();
  });

  it('95%-pruned weights are stored sparsely: identical outputs and a much smaller file', async () => {
    const pruned = model.clone();
    for (const p of pruned.params.values()) {
      if (p.role !== 'kernel') continue;
      const mask = tf.tidy(() => {
        const a = tf.abs(p.value);
        const t = tf.topk(tf.reshape(a, [-1]), Math.max(1, Math.ceil(p.size * 0.05))).values;
        return tf.greaterEqual(a, tf.min(t));
      });
      p.setMask(mask);
      mask.dispose();
    }
    const dense = staticModel(model);
    const sparse = staticModel(pruned);
    const a = await roundTrip(dense, 'dense-int8');
    const b = await roundTrip(sparse, 'sparse-int8');
    const json = JSON.parse(await readFile(join(dir, 'sparse-int8', 'model.json'), 'utf8')) as { quantization: { weights: Array<{ name: string; encoding: string; nnz: number }> } };
    const fc1 = json.quantization.weights.find((w) => w.name === 'fc1/kernel')!;
    expect(fc1.encoding).not.toBe('dense');
    expect(fc1.nnz).toBeLessThanOrEqual(Math.ceil(96 * 12 * 0.05));
    const qa = (await readFile(join(dir, 'dense-int8', 'weights.q.bin'))).length;
    const qb = (await readFile(join(dir, 'sparse-int8', 'weights.q.bin'))).length;
    expect(qb).toBeLessThan(qa / 3);
    expect(b.bytes).toBeLessThan(a.bytes);
    for (const m of [pruned, dense, sparse, a.loaded, b.loaded]) m.dispose();
  });

  it('corrupt or escaping files give SerializationError naming the file', async () => {
    const q = quantizeDynamic(model);
    const sub = join(dir, 'corrupt');
    await saveQuantized(q, sub);
    const qfile = join(sub, 'weights.q.bin');
    const good = await readFile(qfile);
    await writeFile(qfile, good.subarray(0, good.length - 9));
    await expect(loadQuantized(sub)).rejects.toThrow(SerializationError);
    await writeFile(qfile, good);
    const jfile = join(sub, 'model.json');
    const json = JSON.parse(await readFile(jfile, 'utf8')) as { quantization: { path: string; weights: Array<{ bits: number }> } };
    json.quantization.path = '../outside.bin';
    await writeFile(jfile, JSON.stringify(json));
    await expect(loadQuantized(sub)).rejects.toThrow(/escapes the model folder/);
    json.quantization.path = 'weights.q.bin';
    json.quantization.weights[0]!.bits = 11;
    await writeFile(jfile, JSON.stringify(json));
    await expect(loadQuantized(sub)).rejects.toThrow(/model\.json: quantization: malformed weight entry/);
    // Only codebook entries may leave their offset out: an integer weight's is required.
    json.quantization.weights[0]!.bits = 8;
    delete (json.quantization.weights[0] as { offset?: number }).offset;
    await writeFile(jfile, JSON.stringify(json));
    await expect(loadQuantized(sub)).rejects.toThrow(/model\.json: quantization: malformed weight entry/);
    // core's plain loader refuses it with a typed error rather than garbage
    await expect(load(sub)).rejects.toThrow(BonsaiError);
    q.dispose();
  });

  it('in-memory artifacts round trip and leak no tensors', async () => {
    const q = quantizeDynamic(model);
    const before = tf.memory().numTensors;
    const art = await toQuantizedArtifacts(q);
    const back = await fromQuantizedArtifacts(art);
    expect(maxAbsDiff(outputOf(back, x), outputOf(q, x))).toBe(0);
    const c = back.clone();
    expect(c.mode).toBe('dynamic');
    expect(maxAbsDiff(outputOf(c, x), outputOf(q, x))).toBe(0);
    c.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
    q.dispose();
  });
});

describe('tfjs weights-manifest export', () => {
  it('uint8 / uint16 entries decode with tf.io.decodeWeights within half a quantization step', async () => {
    for (const dtype of ['uint8', 'uint16'] as const) {
      const { data, specs } = await encodeTfjsWeights(model, { dtype });
      const decoded = tf.io.decodeWeights(data, specs);
      for (const spec of specs) {
        const orig = model.params.get(spec.name)!.value.dataSync();
        const got = decoded[spec.name]!.dataSync();
        if (spec.quantization) {
          expect(spec.quantization.dtype).toBe(dtype);
          const step = spec.quantization.scale!;
          expect(maxAbsDiff(orig, got)).toBeLessThanOrEqual(step / 2 + 1e-6);
          expect(maxAbsDiff(orig, got)).toBeGreaterThan(0);
        } else expect(maxAbsDiff(orig, got)).toBe(0);
      }
      expect(specs.filter((s) => s.quantization).map((s) => s.name).sort()).toEqual(['conv1/kernel', 'conv2/kernel', 'dw/kernel', 'fc1/kernel', 'fc2/kernel']);
      tf.dispose(Object.values(decoded));
    }
  });

  it('float16 entries decode within half-precision rounding; toFloat16Bits rounds to nearest even', async () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(1);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    const { data, specs } = await encodeTfjsWeights(model, { dtype: 'float16', params: 'all' });
    const decoded = tf.io.decodeWeights(data, specs);
    for (const spec of specs) {
      expect(spec.quantization?.dtype).toBe('float16');
      const orig = model.params.get(spec.name)!.value.dataSync();
      const got = decoded[spec.name]!.dataSync();
      orig.forEach((v, i) => expect(Math.abs(v - got[i]!)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
    }
    tf.dispose(Object.values(decoded));
  });

  it("saveTfjsQuantized writes a model core's load() reads back (uint8 weights)", async () => {
    const sub = join(dir, 'tfjs-uint8');
    const { bytes } = await saveTfjsQuantized(model, sub);
    const back = await load(sub);
    const a = outputOf(model, x);
    const b = outputOf(back, x);
    expect(maxAbsDiff(a, b)).toBeLessThan(0.1 * Math.max(...a.map(Math.abs)));
    const params = [...model.params.values()];
    const expected = params.reduce((a, p) => a + p.size * (p.role === 'kernel' ? 1 : 4), 0);
    expect((await readFile(join(sub, 'weights.bin'))).length).toBe(expected);
    expect(bytes).toBeGreaterThan(expected);
    back.dispose();
    await expect(encodeTfjsWeights(model, { dtype: 'int8' as never })).rejects.toThrow(/dtype must be/);
  });
});
