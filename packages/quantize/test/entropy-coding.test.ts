import { gzipSync } from 'node:zlib';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, GraphBuilder, Model, SerializationError } from '@bonsai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeEntropy, deflate, encodeEntropy, fromQuantizedArtifacts, loadQuantized, quantizeDynamic, saveQuantized, toQuantizedArtifacts,
  type QuantizationJSON, type QuantizedModel,
} from '../src/index';
import { ByteReader } from '../src/packing';
import { fuzzQuantizedBytes } from './fuzz';
import { outputOf, useWasm } from './helpers';

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(join(tmpdir(), 'bonsai-entropy-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Order-0 entropy of `v` in bits (the lower bound of any per-symbol code). */
function entropyBits(v: ArrayLike<number>): number {
  const c = new Map<number, number>();
  for (let i = 0; i < v.length; i++) c.set(v[i]!, (c.get(v[i]!) ?? 0) + 1);
  let h = 0;
  for (const k of c.values()) h -= k * Math.log2(k / v.length);
  return h;
}

/** Seeded ints: `density` nonzero, the nonzeros one of `levels` values (as pruned + clustered weights are). */
function weightInts(n: number, density: number, levels: number, seed: number): Int32Array {
  const rng = createRng(seed);
  return Int32Array.from({ length: n }, () => (rng() < density ? 1 + Math.floor(levels * rng() * rng()) : 0));
}

/**
 * MLP 64 -> 128 -> 32 -> 4 with seeded weights as pruning and clustering leave them: fc1 99%
 * zeros, fc2 80% zeros (nonzeros peaked around 0), fc3 dense but clustered to 6 values — so each
 * entropy-coded layout wins somewhere (per-tensor int8 keeps 6 clusters 6 integers).
 */
function deepCompressed(): Model {
  const b = new GraphBuilder();
  let h = b.relu(b.dense(b.input([64], { name: 'x' }), { units: 128, name: 'fc1' }));
  h = b.relu(b.dense(h, { units: 32, name: 'fc2' }));
  const m = Model.create(b.build(b.dense(h, { units: 4, name: 'fc3' })), { seed: 3 });
  const rng = createRng(9);
  const peaked = (): number => rng() + rng() + rng() - 1.5;
  const levels = [-0.3, -0.1, -0.05, 0.05, 0.1, 0.3];
  const fill: Record<string, () => number> = {
    'fc1/kernel': () => (rng() < 0.01 ? peaked() : 0),
    'fc2/kernel': () => (rng() < 0.2 ? peaked() : 0),
    'fc3/kernel': () => levels[Math.floor(rng() * rng() * levels.length)]!,
  };
  for (const [name, f] of Object.entries(fill)) {
    const p = m.params.get(name)!;
    const t = tf.tensor(Float32Array.from({ length: p.size }, f), p.shape);
    p.assign(t);
    t.dispose();
  }
  return m;
}

/** {@link deepCompressed}, int8 per-tensor weights. */
function deepCompressedInt8(): QuantizedModel {
  const m = deepCompressed();
  const q = quantizeDynamic(m, { weights: { perChannel: false } });
  m.dispose();
  return q;
}

describe('entropy-coded layouts', () => {
  it('pick the smallest layout, decode exactly, and come within 1 bit per coded symbol of the entropy', () => {
    // Dense few-level values; half zeros; every 4th value (regular gaps, as N:M sparsity leaves them); 1% (geometric gaps).
    const periodic = Int32Array.from(weightInts(20_000, 1, 16, 5), (v, i) => (i % 4 === 0 ? v : 0));
    const cases: Array<[string, Int32Array]> = [
      ['huffman', weightInts(20_000, 1, 5, 4)], ['bitmap-huffman', weightInts(20_000, 0.5, 16, 4)],
      ['delta-huffman', periodic], ['rice-huffman', weightInts(20_000, 0.01, 16, 4)],
    ];
    for (const [want, ints] of cases) {
      const q = Int32Array.from(ints, (v) => v - 8);
      const isZero = (i: number): boolean => q[i] === -8;
      const { encoding, bytes, nnz } = encodeEntropy(q, -16, isZero);
      expect(encoding).toBe(want);
      const back = decodeEntropy(new ByteReader(bytes, bytes.length, 0, 'f'), encoding, q.length, nnz, -16, 8, () => -8, 'f');
      expect(Array.from(back)).toEqual(Array.from(q));
      // Lower bound: the order-0 entropy of what the layout codes with prefix codes (bitmap: 1 bit per element, not coded).
      const nz = Array.from(q).flatMap((v, i) => (v === -8 ? [] : [i]));
      const nzValues = nz.map((i) => q[i]!);
      const gaps = nz.map((p, k) => p - (k === 0 ? -1 : nz[k - 1]!) - 1);
      const bound = { huffman: entropyBits(q), 'bitmap-huffman': q.length + entropyBits(nzValues) }[encoding as string] ?? entropyBits(gaps) + entropyBits(nzValues);
      const symbols = encoding === 'huffman' ? q.length : encoding === 'bitmap-huffman' ? nz.length : 2 * nz.length;
      expect(8 * bytes.length).toBeGreaterThanOrEqual(bound);
      expect(8 * bytes.length, `${encoding}: ${8 * bytes.length} bits, bound ${bound.toFixed(0)}`).toBeLessThan(bound + symbols + 8 * 400);
    }
  });

  it('with the bits given, the arithmetic layout wins on sparse kernels (most on dead rows and columns), decodes exactly and refuses a cut segment', () => {
    const shape = [400, 50];
    // 1% unstructured; and 5% inside 80 live inputs x 25 live outputs (magnitude pruning's dead rows and columns).
    const random = Int32Array.from(weightInts(20_000, 0.01, 16, 4), (v) => v - 8);
    const structured = Int32Array.from(weightInts(20_000, 0.05, 16, 7), (v, i) => (Math.floor(i / 50) % 5 === 0 && i % 2 === 0 ? v : 0) - 8);
    for (const q of [random, structured]) {
      const isZero = (i: number): boolean => q[i] === -8;
      const huffmanOnly = encodeEntropy(q, -16, isZero);
      const coded = encodeEntropy(q, -16, isZero, { shape, bits: 8 });
      expect(coded.encoding).toBe('arithmetic');
      expect(coded.bytes.length).toBeLessThan(huffmanOnly.bytes.length);
      const read = (b: Uint8Array): Int32Array => decodeEntropy(new ByteReader(b, b.length, 0, 'f'), 'arithmetic', q.length, coded.nnz, -16, 8, () => -8, 'f', shape);
      expect(Array.from(read(coded.bytes))).toEqual(Array.from(q));
      expect(() => read(coded.bytes.subarray(0, coded.bytes.length - 1))).toThrow(SerializationError);
      console.log(`${q === random ? '1% random' : 'dead rows/columns'}: ${huffmanOnly.encoding} ${huffmanOnly.bytes.length} B, arithmetic ${coded.bytes.length} B`);
    }
  });

  it('a corrupt stream inside a segment is a SerializationError (trailing bytes, out-of-range value, index past the end)', () => {
    for (const density of [0.02, 0.5]) {
      const q = weightInts(3000, density, 4, 5);
      const { encoding, bytes, nnz } = encodeEntropy(q, 0, (i) => q[i] === 0);
      const read = (b: Uint8Array, n = q.length, bits = 8): Int32Array => decodeEntropy(new ByteReader(b, b.length, 0, 'w.q.bin'), encoding, n, nnz, 0, bits, () => 0, 'w.q.bin');
      expect(Array.from(read(bytes))).toEqual(Array.from(q));
      expect(() => read(bytes, 1000)).toThrow(SerializationError);
      expect(() => read(bytes, q.length, 1)).toThrow(/outside \[0, 2\)/);
      const longer = Uint8Array.from(bytes);
      longer[encoding === 'bitmap-huffman' ? Math.ceil(q.length / 8) : 0]! += 1; // the first stream claims one more byte than it has
      expect(() => read(longer)).toThrow(SerializationError);
    }
  });
});

describe('saveQuantized({ entropyCoding: true })', () => {
  it('writes a version 2 file that loads to identical integers and outputs, smaller than the fixed-width layouts, and reports gzip sizes', async () => {
    const q = deepCompressedInt8();
    const x = tf.randomUniform([3, 64], 0, 1, 'float32', 6);
    const plain = await saveQuantized(q, join(dir, 'plain'));
    const coded = await saveQuantized(q, join(dir, 'coded'), { entropyCoding: true });
    const back = await loadQuantized(join(dir, 'coded'));
    expect(Array.from(outputOf(back, x))).toEqual(Array.from(outputOf(q, x)));
    for (const [k, v] of q.quantizedWeights) expect(Array.from(back.quantizedWeights.get(k)!.values)).toEqual(Array.from(v.values));
    const json = JSON.parse(await readFile(join(dir, 'coded', 'model.json'), 'utf8')) as { quantization: QuantizationJSON };
    expect(json.quantization.version).toBe(2);
    // Range-coded positions and values beat every Huffman layout here: fc1 (82 nonzeros, each gap a
    // distinct value; varint gaps without it, a table costs more than it saves), fc2 (Rice gaps without it), fc3 (every value Huffman-coded without it).
    expect(Object.fromEntries(json.quantization.weights.map((w) => [w.name, w.encoding]))).toEqual({ 'fc1/kernel': 'arithmetic', 'fc2/kernel': 'arithmetic', 'fc3/kernel': 'arithmetic' });
    const huffmanOnly = [...q.quantizedWeights.values()].map((w) => {
      const zp = w.qparams.zeroPoint;
      const inner = w.qparams.axis === undefined ? 1 : w.shape.slice(w.qparams.axis + 1).reduce((a, b) => a * b, 1);
      return encodeEntropy(w.values, w.qparams.qmin, (i) => w.values[i] === (zp.length === 1 ? zp[0] : zp[Math.floor(i / inner) % zp.length])).bytes.length;
    });
    // Each segment is its scales (+ int16 zero points if affine) and the coded integers, fewer bytes than the best Huffman layout.
    json.quantization.weights.forEach((w, i) => expect(w.length - w.channels * (w.symmetric ? 4 : 6), w.name).toBeLessThan(huffmanOnly[i]!));
    const plainJson = JSON.parse(await readFile(join(dir, 'plain', 'model.json'), 'utf8')) as { quantization: QuantizationJSON };
    expect(plainJson.quantization.version).toBe(1);
    json.quantization.weights.forEach((w, i) => expect(w.length).toBeLessThanOrEqual(plainJson.quantization.weights[i]!.length));
    console.log(`weights.q.bin: fixed-width ${plainJson.quantization.byteLength} B raw, ${plain.files['weights.q.bin']} B deflated; entropy-coded ${json.quantization.byteLength} B raw, ${coded.files['weights.q.bin']} B as saved (${json.quantization.compression})`);
    expect(json.quantization.byteLength).toBeLessThan(0.95 * plainJson.quantization.byteLength);
    expect(coded.files['weights.q.bin']!).toBeLessThan(plain.files['weights.q.bin']!);
    expect(json.quantization.compression).toBe(coded.files['weights.q.bin'] === json.quantization.byteLength ? 'none' : 'deflate');
    // gzipBytes is the sum of the files' gzip sizes (checked with node:zlib directly).
    let gz = 0;
    for (const f of ['model.json', 'weights.bin', 'weights.q.bin']) gz += gzipSync(await readFile(join(dir, 'coded', f)), { level: 9 }).length;
    expect(coded.gzipBytes).toBe(gz);
    expect(coded.bytes).toBe(Object.values(coded.files).reduce((a, b) => a + b, 0));
    x.dispose();
    q.dispose();
    back.dispose();
  });

  it('a version 1 manifest naming an entropy-coded layout is refused', async () => {
    const q = deepCompressedInt8();
    const art = await toQuantizedArtifacts(q, { entropyCoding: true });
    const v1 = { ...art, json: { ...art.json, quantization: { ...art.json.quantization, version: 1 as const } } };
    await expect(fromQuantizedArtifacts(v1)).rejects.toThrow(/malformed weight entry "fc1\/kernel"/);
    q.dispose();
  });

  it('fuzz: 1,500 mutated entropy-coded weights.q.bin (deflated and raw) give only typed errors and leak nothing', async () => {
    const q = deepCompressedInt8();
    const x = tf.randomUniform([1, 64], 0, 1, 'float32', 7);
    const raw = await toQuantizedArtifacts(q, { entropyCoding: true, compress: false });
    // saveQuantized keeps these bytes raw (deflate does not shrink them); a deflated copy is still a valid file.
    const deflated = { ...raw, json: { ...raw.json, quantization: { ...raw.json.quantization, compression: 'deflate' as const } }, quantized: await deflate(raw.quantized) };
    const bases = [deflated, raw];
    await fuzzQuantizedBytes(bases, x, outputOf(q, x), { cases: 1500, seed: 12, label: 'entropy-coded weights.q.bin' });
    x.dispose();
    q.dispose();
  }, 60_000);
});
