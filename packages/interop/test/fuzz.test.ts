import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, createRng, fromArtifacts, initBackend, toArtifacts, type ModelArtifacts } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLayersArtifacts } from '../src/index';
import { functionalNet, modernNet, separableNet, sequentialCnn, tfjsArtifacts } from './helpers';
import { mutateOnce, stripIgnored } from './mutate';

const CASES = 10_000;

interface Crash {
  index: number;
  message: string;
}

let bases: Array<{ modelJson: Record<string, unknown>; text: string; weights: ArrayBuffer }>;

beforeAll(async () => {
  await initBackend('wasm');
  bases = [];
  for (const make of [functionalNet, sequentialCnn, separableNet, modernNet]) {
    const m = make();
    const art = await tfjsArtifacts(m);
    const modelJson = stripIgnored(art.modelJson) as Record<string, unknown>;
    bases.push({ modelJson, text: JSON.stringify(modelJson), weights: art.weights });
    m.dispose();
  }
});

describe('fuzzing model.json', () => {
  it(`${CASES} seeded mutations of tfjs model.json files: only typed errors, no leaks`, () => {
    const rng = createRng(20240607);
    const before = tf.memory().numTensors;
    const crashes: Crash[] = [];
    const codes = new Map<string, number>();
    let imported = 0;
    for (let i = 0; i < CASES; i++) {
      const base = bases[i % bases.length]!;
      const json = JSON.parse(base.text) as Record<string, unknown>;
      const n = 1 + Math.floor(rng() * 3);
      for (let k = 0; k < n; k++) mutateOnce(json, rng);
      let weights = base.weights;
      if (rng() < 0.05) weights = weights.slice(0, Math.floor(rng() * weights.byteLength));
      try {
        importLayersArtifacts({ modelJson: json, weights }).dispose();
        imported++;
      } catch (e) {
        if (e instanceof BonsaiError) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        else crashes.push({ index: i, message: `${(e as Error)?.name}: ${(e as Error)?.message}` });
      }
    }
    expect(crashes.slice(0, 5)).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    // The fuzzer must exercise both paths: successful imports and several error kinds.
    expect(imported).toBeGreaterThan(CASES / 20);
    expect(codes.size).toBeGreaterThanOrEqual(3);
    console.log(`interop fuzz: ${imported} imported, errors by code ${JSON.stringify(Object.fromEntries(codes))}`);
  });

  it("fuzzes Bonsai's own model.json through core's fromArtifacts (names that are not prototype members)", async () => {
    const m = importLayersArtifacts(bases[0]!);
    const base: ModelArtifacts = await toArtifacts(m);
    m.dispose();
    const text = JSON.stringify(base.json);
    const rng = createRng(7);
    const before = tf.memory().numTensors;
    const crashes: Crash[] = [];
    let loaded = 0;
    for (let i = 0; i < 2000; i++) {
      const json = JSON.parse(text) as Record<string, unknown>;
      const n = 1 + Math.floor(rng() * 3);
      for (let k = 0; k < n; k++) mutateOnce(json, rng, { prototypeNames: false });
      try {
        fromArtifacts({ json: json as unknown as ModelArtifacts['json'], weights: base.weights }).dispose();
        loaded++;
      } catch (e) {
        if (!(e instanceof BonsaiError)) crashes.push({ index: i, message: `${(e as Error)?.name}: ${(e as Error)?.message}` });
      }
    }
    console.log(`core fuzz: ${loaded} loaded, ${crashes.length} untyped crashes`, [...new Set(crashes.map((c) => c.message))].slice(0, 10));
    expect(loaded).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(crashes).toEqual([]);
  });
});

/** Params or weights named like prototype members (`constructor`, `__proto__`) are typed errors, not crashes or leaks. */
describe('prototype-member names', () => {
  it("core's fromArtifacts rejects a param named like a prototype member", async () => {
    const m = importLayersArtifacts(bases[1]!);
    const art = await toArtifacts(m);
    m.dispose();
    for (const name of ['constructor', '__proto__', 'toString']) {
      const json = structuredClone(art.json);
      json.params[0]!.name = name;
      const before = tf.memory().numTensors;
      let err: unknown;
      try {
        fromArtifacts({ json, weights: art.weights }).dispose();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BonsaiError);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
