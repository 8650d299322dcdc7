import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BonsaiError, GraphBuilder, Model, createRng, fromArtifacts, load, save, toArtifacts, type ModelArtifacts, type Rng } from '../src/index';
import { useWasm } from './helpers';

// Weights files as an attacker or a broken disk hands them over: truncated, padded, bit-flipped,
// or described by a manifest that lies about shapes and dtypes. Every case must load (and then
// run) or fail with a BonsaiError; none may hang, crash untyped or leak a tensor.

beforeAll(useWasm);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bonsai-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cnn(): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 1], { name: 'x' });
  const h = b.maxPool(b.relu(b.batchNorm(b.conv2d(x, { filters: 3, kernel: 3, name: 'conv' }), { name: 'bn' })));
  return Model.create(b.build(b.dense(b.flatten(h), { units: 2, name: 'fc' })), { seed: 9 });
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

type Mutation = (art: ModelArtifacts, rng: Rng) => ModelArtifacts;

const mutations: Record<string, Mutation> = {
  truncate: (a, rng) => ({ json: a.json, weights: a.weights.slice(0, int(rng, a.weights.byteLength)) }),
  pad: (a, rng) => {
    const w = new Uint8Array(a.weights.byteLength + 1 + int(rng, 64));
    w.set(new Uint8Array(a.weights));
    return { json: a.json, weights: w.buffer };
  },
  bitFlips: (a, rng) => {
    const w = new Uint8Array(a.weights.slice(0));
    for (let k = 1 + int(rng, 8); k > 0; k--) w[int(rng, w.length)]! ^= 1 << int(rng, 8);
    return { json: a.json, weights: w.buffer };
  },
  shapeLie: (a, rng) => {
    const json = structuredClone(a.json);
    const e = pick(rng, json.weightsManifest[0]!.weights);
    const dims = e.shape.length ? e.shape : [1];
    dims[int(rng, dims.length)] = pick(rng, [0, 1, 2, 3, 7, 1e6, 2 ** 30, -1, 2.5, NaN]);
    e.shape = rng() < 0.2 ? [...dims, 2] : dims;
    return { json, weights: a.weights };
  },
  dtypeLie: (a, rng) => {
    const json = structuredClone(a.json);
    const e = pick(rng, json.weightsManifest[0]!.weights);
    (e as { dtype: string }).dtype = pick(rng, ['int32', 'bool', 'float16', 'uint8', 'string', 'complex64', 'float64']);
    return { json, weights: a.weights };
  },
  quantizationLie: (a, rng) => {
    const json = structuredClone(a.json);
    const e = pick(rng, json.weightsManifest[0]!.weights);
    e.quantization = pick(rng, [
      { dtype: 'uint8', scale: rng(), min: -rng() },
      { dtype: 'uint16', scale: 1e-3, min: 0 },
      { dtype: 'float16' },
      { dtype: 'uint8', scale: Infinity, min: 0 },
    ] as const);
    return { json, weights: a.weights };
  },
  dropOrSwap: (a, rng) => {
    const json = structuredClone(a.json);
    const ws = json.weightsManifest[0]!.weights;
    const i = int(rng, ws.length);
    if (rng() < 0.5) ws.splice(i, 1);
    else [ws[i], ws[0]] = [ws[0]!, ws[i]!];
    return { json, weights: a.weights };
  },
};

describe('fuzzing weights files', () => {
  it('10,000 in-memory cases: truncation, padding, bit flips, size/dtype/quantization lies', async () => {
    const m = cnn();
    const base = await toArtifacts(m);
    m.dispose();
    const x = tf.ones([1, 6, 6, 1]);
    const rng = createRng(2026);
    const names = Object.keys(mutations);
    const counts: Record<string, { loaded: number; refused: number }> = Object.fromEntries(names.map((n) => [n, { loaded: 0, refused: 0 }]));
    const untyped: string[] = [];
    const before = tf.memory().numTensors;
    const t = Date.now();
    for (let i = 0; i < 10_000; i++) {
      const name = names[i % names.length]!;
      let art = mutations[name]!(base, rng);
      const twice = rng() < 0.3;
      if (twice) art = mutations[pick(rng, names)]!(art, rng);
      try {
        const loaded = fromArtifacts(art);
        if (i % 20 === 0) loaded.forward(x).dispose();
        loaded.dispose();
        counts[name]!.loaded++;
        if (!twice && (name === 'truncate' || name === 'pad')) untyped.push(`${name}: case ${i} loaded`);
      } catch (e) {
        if (e instanceof BonsaiError) counts[name]!.refused++;
        else untyped.push(`${name}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }
    console.log(`weights fuzz, 10000 cases in ${Date.now() - t} ms:`, JSON.stringify(counts));
    expect([...new Set(untyped)].slice(0, 10)).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    // A truncated or padded file alone is always caught (checked above); bit flips to finite values may load.
    expect(counts.bitFlips!.loaded).toBeGreaterThan(0);
    expect(counts.bitFlips!.refused).toBeGreaterThan(0); // some flips make NaN/Inf
    x.dispose();
  }, 60_000);

  it('300 on-disk cases through load(): only typed errors, nothing left open or alive', async () => {
    const m = cnn();
    const dir = path.join(tmp, 'm');
    await save(m, dir);
    m.dispose();
    const wf = path.join(dir, 'weights.bin');
    const good = fs.readFileSync(wf);
    const rng = createRng(7);
    const before = tf.memory().numTensors;
    const untyped: string[] = [];
    for (let i = 0; i < 300; i++) {
      const w = Buffer.from(good);
      const kind = i % 3;
      if (kind === 0) fs.writeFileSync(wf, w.subarray(0, int(rng, w.length)));
      else if (kind === 1) {
        w[int(rng, w.length)]! ^= 1 << int(rng, 8);
        fs.writeFileSync(wf, w);
      } else fs.writeFileSync(wf, Buffer.concat([w, Buffer.alloc(1 + int(rng, 4096))]));
      try {
        (await load(dir)).dispose();
      } catch (e) {
        if (!(e instanceof BonsaiError)) untyped.push(`${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }
    expect(untyped).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
