import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, load, type Model, SerializationError } from '@bonsai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterWeights, decodeCodebook, encodeCodebook, fromQuantizedArtifacts, loadQuantized, quantizeDynamic, saveQuantized, saveTfjsQuantized,
  toQuantizedArtifacts, type QuantizationJSON,
} from '../src/index';
import { ByteReader } from '../src/packing';
import { fuzzQuantizedBytes } from './fuzz';
import { outputOf, tinyCnn, useWasm } from './helpers';

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(join(tmpdir(), 'bonsai-codebook-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** tinyCnn with every kernel 90% zeros, then clustered: kernels to 4 float16 centroids, the other params (biases, BN) to 16. */
function prunedClustered(float16 = true): Model {
  const m = tinyCnn(3);
  const rng = createRng(4);
  for (const p of m.params.values()) {
    if (p.role !== 'kernel') continue;
    const v = Float32Array.from(p.value.dataSync() as Float32Array, (x) => (rng() < 0.9 ? 0 : x));
    const t = tf.tensor(v, p.shape);
    p.assign(t);
    t.dispose();
  }
  const { model } = clusterWeights(m, { clusters: 4, others: 16, float16, seed: 1 });
  m.dispose();
  return model;
}

const valuesOf = (m: Model): Record<string, number[]> => Object.fromEntries([...m.params.values()].map((p) => [p.name, Array.from(p.value.dataSync())]));

describe('codebook layout (clustered float params)', () => {
  it('encodes pruned clustered values losslessly, picks the gap cap, and refuses too many distinct values', () => {
    const rng = createRng(2);
    const levels = [-0.5, -0.125, 0.25, 0.75];
    const v = Float32Array.from({ length: 5000 }, () => (rng() < 0.03 ? levels[Math.floor(rng() * 4)]! : 0));
    const coded = encodeCodebook(v)!;
    expect(coded.centroids).toBe(4);
    expect(coded.nnz).toBe(v.filter((x) => x !== 0).length);
    const back = decodeCodebook(new ByteReader(coded.bytes, coded.bytes.length, 0, 'f'), [v.length], coded.nnz, 'p', 'f');
    expect(Array.from(back)).toEqual(Array.from(v));
    // ~150 nonzeros at 3% density: gaps (~6.5 bits of entropy each) + 2-bit indices + two Huffman tables.
    expect(coded.bytes.length).toBeLessThan(1.1 * coded.nnz + 64);
    // float32 centroids (not float16 numbers) are kept exactly too.
    const f32 = Float32Array.from(v, (x) => (x === 0 ? 0 : x + 1e-5));
    const c32 = encodeCodebook(f32)!;
    expect(Array.from(decodeCodebook(new ByteReader(c32.bytes, c32.bytes.length, 0, 'f'), [v.length], c32.nnz, 'p', 'f'))).toEqual(Array.from(f32));
    expect(encodeCodebook(Float32Array.from({ length: 100 }, (_, i) => i + 1), { maxCentroids: 50 })).toBeUndefined();
    const empty = encodeCodebook(new Float32Array(10))!;
    expect(Array.from(decodeCodebook(new ByteReader(empty.bytes, empty.bytes.length, 0, 'f'), [10], 0, 'p', 'f'))).toEqual(new Array(10).fill(0));
  });

  it('the arithmetic-coded body is smaller than the Huffman one on a kernel with dead inputs and outputs and on a tiny param; both decode exactly', () => {
    const rng = createRng(6);
    const levels = [-0.5, -0.125, 0.25, 0.75];
    const shape = [200, 32];
    // Magnitude pruning's pattern: 40 of 200 inputs and 16 of 32 outputs alive, 20% dense between them.
    const v = Float32Array.from({ length: 200 * 32 }, (_, i) => (Math.floor(i / 32) % 5 === 0 && i % 2 === 0 && rng() < 0.2 ? levels[Math.floor(rng() * 4)]! : 0));
    const decode = (bytes: Uint8Array, sh: number[], nnz: number): Float32Array => decodeCodebook(new ByteReader(bytes, bytes.length, 0, 'f'), sh, nnz, 'p', 'f');
    const huff = encodeCodebook(v, { shape, body: 'huffman' })!;
    const arith = encodeCodebook(v, { shape, body: 'arithmetic' })!;
    expect(Array.from(decode(huff.bytes, shape, huff.nnz))).toEqual(Array.from(v));
    expect(Array.from(decode(arith.bytes, shape, arith.nnz))).toEqual(Array.from(v));
    expect(arith.bytes.length).toBeLessThan(0.8 * huff.bytes.length);
    expect(encodeCodebook(v, { shape })!.bytes).toEqual(arith.bytes);
    const tiny = Float32Array.of(0.5, 0, 0.25, 0.5, 0, 0, 0.25, 0.5, 1, 0);
    const tinyArith = encodeCodebook(tiny, { body: 'arithmetic' })!;
    expect(tinyArith.bytes.length).toBeLessThan(encodeCodebook(tiny, { body: 'huffman' })!.bytes.length);
    expect(Array.from(decode(tinyArith.bytes, [10], tinyArith.nnz))).toEqual(Array.from(tiny));
    console.log(`200x32 kernel, ${arith.nnz} nonzeros: Huffman body ${huff.bytes.length} B, arithmetic ${arith.bytes.length} B`);
    // A segment cut short or read with the wrong count is an error naming the param, not other weights.
    expect(() => decode(arith.bytes.subarray(0, arith.bytes.length - 1), shape, arith.nnz)).toThrow(/codebook param "p"/);
    expect(() => decode(arith.bytes, shape, arith.nnz - 1)).toThrow(SerializationError);
  });

  it('saveQuantized({ codebook: true }) round trips a float model exactly, as a version 3 file much smaller than float16/float32, and leaks no tensor', async () => {
    const m = prunedClustered();
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const plain = await saveQuantized(m, join(dir, 'plain'));
    const coded = await saveQuantized(m, join(dir, 'coded'), { codebook: true, entropyCoding: true });
    const back = await loadQuantized(join(dir, 'coded'));
    expect(valuesOf(back)).toEqual(valuesOf(m));
    expect(Array.from(outputOf(back, x))).toEqual(Array.from(outputOf(m, x)));
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const json = JSON.parse(await readFile(join(dir, 'coded', 'model.json'), 'utf8')) as { quantization: QuantizationJSON; weightsManifest: Array<{ weights: unknown[] }> };
    expect(json.quantization.version).toBe(3);
    const names = json.quantization.codebooks!.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['conv1/kernel', 'fc2/kernel']));
    for (const e of json.quantization.codebooks!) expect(e.centroids).toBeLessThanOrEqual(e.name.endsWith('/kernel') ? 4 : 16);
    // Every param is in the codebook layout and the file has no weights.bin: the params of 4-6
    // values that are a little smaller as float16 cost fewer extra bytes than weights.bin and its manifest.
    expect(json.weightsManifest[0]!.weights).toEqual([]);
    expect(coded.files['weights.bin']).toBeUndefined();
    expect(plain.files['weights.bin']).toBeGreaterThan(0);
    let extra = 0;
    for (const [name, p] of m.params) {
      const v = Float32Array.from(p.value.dataSync());
      if (!name.endsWith('/kernel')) extra += Math.max(0, encodeCodebook(v, { shape: p.shape })!.bytes.length - 2 * v.length);
    }
    expect(extra).toBeLessThanOrEqual(64);
    const q = (s: typeof coded): number => s.files['weights.q.bin']! + (s.files['weights.bin'] ?? 0);
    console.log(`tinyCnn 90% pruned, 4 centroids: weights ${q(plain)} B float -> ${q(coded)} B codebook`);
    expect(q(coded)).toBeLessThan(q(plain) / 5);
    x.dispose();
    m.dispose();
  });

  it('float32 centroids (after centroid fine-tuning moved them) round trip exactly too', async () => {
    const m = prunedClustered(false);
    const art = await toQuantizedArtifacts(m, { codebook: true });
    const back = await fromQuantizedArtifacts(art);
    expect(valuesOf(back)).toEqual(valuesOf(m));
    back.dispose();
    m.dispose();
  });

  it('corrupt, truncated or inconsistent codebook segments are SerializationErrors naming the param', async () => {
    const m = prunedClustered();
    const art = await toQuantizedArtifacts(m, { codebook: true, compress: false });
    const e = art.json.quantization.codebooks!.find((c) => c.name === 'fc1/kernel')!;
    const withEntry = (patch: Record<string, unknown>): typeof art => ({
      ...art, json: { ...art.json, quantization: { ...art.json.quantization, codebooks: art.json.quantization.codebooks!.map((c) => (c === e ? { ...c, ...patch } : c)) } },
    });
    const err = async (a: typeof art): Promise<SerializationError> => {
      const thrown = await fromQuantizedArtifacts(a).then(() => undefined, (x: unknown) => x);
      expect(thrown).toBeInstanceOf(SerializationError);
      return thrown as SerializationError;
    };
    expect((await err(withEntry({ nnz: e.nnz + 1 }))).message).toMatch(/codebook param "fc1\/kernel"/);
    expect((await err(withEntry({ length: e.length - 1 }))).message).toMatch(/fc1\/kernel/);
    expect((await err(withEntry({ length: e.length + 1 }))).message).toMatch(/fc1\/kernel/);
    expect((await err(withEntry({ shape: [1, 2] }))).message).toMatch(/fc1\/kernel/);
    // Offsets left out follow the previous segment: fc1/kernel ends where the lengths up to it sum to.
    const entries = art.json.quantization.codebooks!;
    expect(entries[0]!.offset).toBeUndefined(); // the first segment starts at 0
    const end = entries.slice(0, entries.indexOf(e) + 1).reduce((at, c) => (c.offset ?? at) + c.length, 0);
    const flipped = Uint8Array.from(art.quantized);
    flipped[end - 1]! ^= 0xff; // inside the index stream
    expect((await err({ ...art, quantized: flipped })).message).toMatch(/fc1\/kernel/);
    expect((await err({ ...art, quantized: art.quantized.slice(0, art.quantized.length - 3) })).message).toMatch(/truncated|bytes/);
    // A version 2 manifest may not carry codebooks.
    expect((await err({ ...art, json: { ...art.json, quantization: { ...art.json.quantization, version: 2 } } })).message).toMatch(/version 3/);
    // A truncated file on disk: typed too.
    await saveQuantized(m, join(dir, 'cut'), { codebook: true, compress: false });
    const bin = await readFile(join(dir, 'cut', 'weights.q.bin'));
    await writeFile(join(dir, 'cut', 'weights.q.bin'), bin.subarray(0, bin.length >> 1));
    await expect(loadQuantized(join(dir, 'cut'))).rejects.toThrow(SerializationError);
    m.dispose();
  });

  it('fuzz: 600 mutated codebook weights.q.bin give only typed errors and leak nothing', async () => {
    const m = prunedClustered();
    const x = tf.randomUniform([1, 8, 8, 1], 0, 1, 'float32', 7);
    const raw = await toQuantizedArtifacts(m, { codebook: true, compress: false });
    await fuzzQuantizedBytes([raw], x, outputOf(m, x), { cases: 600, seed: 21, label: 'codebook weights.q.bin' });
    x.dispose();
    m.dispose();
  }, 60_000);

  it('without `codebook`, files are as before: int8 models stay version 1, and the stock tfjs export is unchanged (core load reads it)', async () => {
    const m = prunedClustered();
    const q = quantizeDynamic(m);
    const art = await toQuantizedArtifacts(q);
    expect(art.json.quantization.version).toBe(1);
    expect(art.json.quantization.codebooks).toBeUndefined();
    const withCodebook = await toQuantizedArtifacts(q, { codebook: true });
    // The integer weights are written as before; only float params (biases, BN) may move to codebooks.
    expect(withCodebook.json.quantization.weights.map((w) => w.encoding)).toEqual(art.json.quantization.weights.map((w) => w.encoding));
    await saveTfjsQuantized(m, join(dir, 'tfjs'), { dtype: 'float16' });
    const back = await load(join(dir, 'tfjs'));
    const x = tf.randomUniform([1, 8, 8, 1], 0, 1, 'float32', 8);
    const a = outputOf(back, x);
    const b = outputOf(m, x);
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-2));
    [x, back, q, m].forEach((t) => t.dispose());
  });
});
