import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, adam, train } from '@bonsai/core';
import { globalUnstructured, lampImportance, rewindPruning, rewindWeights, roundSparsities, snapshotWeights } from '../src/index';
import { maskOf, noLeaks, setValues, synthetic, tinyMlp, useWasm } from './unstructured-helpers';

const fixture: { data?: { x: tf.Tensor; y: tf.Tensor } } = {};
beforeAll(async () => {
  await useWasm();
  fixture.data = synthetic(128);
});
afterAll(() => tf.dispose(Object.values(fixture.data!)));

const valuesOf = (m: ReturnType<typeof tinyMlp>, name: string): number[] => Array.from(m.params.get(name)!.value.dataSync());
const effectiveOf = (m: ReturnType<typeof tinyMlp>, name: string): number[] => tf.tidy(() => Array.from(m.params.get(name)!.effective().dataSync()));

describe('roundSparsities', () => {
  it('removes the same fraction of the remaining weights each round and ends exactly at the target', () => {
    const s = roundSparsities(0.984375, 3); // keep 1/4 per round: 0.75, 0.9375, 0.984375
    expect(s[0]).toBeCloseTo(0.75, 12);
    expect(s[1]).toBeCloseTo(0.9375, 12);
    expect(s[2]).toBe(0.984375);
    expect(() => roundSparsities(1.5, 3)).toThrow(ConfigError);
    expect(() => roundSparsities(0.9, 0)).toThrow(ConfigError);
  });
});

describe('rewindPruning', () => {
  it("weight rewinding: survivors get the snapshot's values back, pruned entries are the smallest |w| of the trained weights, masks only shrink", async () => {
    const model = tinyMlp(5);
    const snapshot = snapshotWeights(model);
    await train(model, fixture.data!, { epochs: 2, batchSize: 32, optimizer: adam({ lr: 1e-2 }), seed: 1 });
    const names = ['fc1/kernel', 'fc2/kernel'];
    const total = 8 * 16 + 16 * 4;
    let prevMasks = names.map((n) => new Array<number>(model.params.get(n)!.size).fill(1));
    let trained = names.map((n) => valuesOf(model, n));
    const seen: number[] = [];
    const result = await noLeaks(
      () =>
        rewindPruning(model, {
          sparsities: [0.5, 0.75],
          rewind: 'weights',
          snapshot,
          retrain: async (round) => {
            seen.push(round);
            const masks = names.map((n) => maskOf(model.params.get(n)!));
            // Exactly round(s * total) zeros over both kernels (one global threshold).
            const zeros = masks.flat().filter((v) => v === 0).length;
            expect(zeros).toBe(Math.round([0.5, 0.75][round]! * total));
            // Monotone: nothing pruned before is revived.
            masks.forEach((m, k) => m.forEach((v, i) => (prevMasks[k]![i] === 0 ? expect(v).toBe(0) : undefined)));
            // Oracle for the global threshold: every newly pruned |w| <= every surviving |w| (trained values, before the rewind).
            const newly: number[] = [];
            const kept: number[] = [];
            masks.forEach((m, k) =>
              m.forEach((v, i) => {
                if (prevMasks[k]![i] === 0) return;
                (v === 0 ? newly : kept).push(Math.abs(trained[k]![i]!));
              }),
            );
            expect(Math.max(...newly)).toBeLessThanOrEqual(Math.min(...kept));
            // Rewinding: raw values equal the snapshot everywhere (also biases), effective values are snapshot * mask.
            for (const [name, saved] of snapshot) expect(valuesOf(model, name)).toEqual(Array.from(saved));
            names.forEach((n, k) => expect(effectiveOf(model, n)).toEqual(Array.from(snapshot.get(n)!, (v, i) => v * masks[k]![i]!)));
            prevMasks = masks;
            const optimizer = adam({ lr: 1e-2 }); // a fresh optimizer: the LR schedule starts over
            await train(model, fixture.data!, { epochs: 1, batchSize: 32, optimizer, seed: 2 + round });
            optimizer.dispose();
            trained = names.map((n) => valuesOf(model, n));
          },
        }),
      2, // one mask per kernel
    );
    expect(seen).toEqual([0, 1]);
    expect(result.rounds.map((r) => r.sparsity)).toEqual([Math.round(0.5 * total) / total, Math.round(0.75 * total) / total]);
    expect(result.sparsity).toBeCloseTo(0.75, 2);
    model.dispose();
  });

  it('learning-rate rewinding keeps the trained survivors; local mode prunes each kernel to the target', async () => {
    const model = tinyMlp(6);
    await train(model, fixture.data!, { epochs: 1, batchSize: 32, optimizer: adam({ lr: 1e-2 }), seed: 1 });
    const before = valuesOf(model, 'fc1/kernel');
    let afterPrune: number[] = [];
    await rewindPruning(model, {
      finalSparsity: 0.5,
      rounds: 1,
      global: false,
      retrain: () => {
        afterPrune = valuesOf(model, 'fc1/kernel');
      },
    });
    expect(afterPrune).toEqual(before); // no rewind: raw values untouched, only masked
    expect(maskOf(model.params.get('fc1/kernel')!).filter((v) => v === 0).length).toBe(64);
    expect(maskOf(model.params.get('fc2/kernel')!).filter((v) => v === 0).length).toBe(32);
    model.dispose();
  });

  it('onRound can stop early; rewindWeights restores values; bad options are ConfigErrors', async () => {
    const model = tinyMlp(7);
    const saved = snapshotWeights(model, ['fc1']);
    expect([...saved.keys()].sort()).toEqual(['fc1/bias', 'fc1/kernel']);
    const res = await rewindPruning(model, { finalSparsity: 0.9, rounds: 3, retrain: () => undefined, onRound: () => false });
    expect(res.rounds.length).toBe(1);
    const t = tf.zerosLike(model.params.get('fc1/kernel')!.value);
    model.params.get('fc1/kernel')!.assign(t);
    t.dispose();
    rewindWeights(model, saved);
    expect(valuesOf(model, 'fc1/kernel')).toEqual(Array.from(saved.get('fc1/kernel')!));
    await expect(rewindPruning(model, { finalSparsity: 0.5, rewind: 'weights', retrain: () => undefined })).rejects.toThrow(ConfigError);
    await expect(rewindPruning(model, { finalSparsity: 0.5, sparsities: [0.6, 0.4], retrain: () => undefined })).rejects.toThrow(ConfigError);
    expect(() => rewindWeights(model, new Map([['nope/kernel', new Float32Array(1)]]))).toThrow(ConfigError);
    model.dispose();
  });
});

describe('lampImportance', () => {
  it('scores w^2 / (sum of w^2 at least as large), by hand; masked entries count as zero', () => {
    const model = tinyMlp(8);
    const p = model.params.get('fc2/bias')!; // 4 entries
    setValues(p, [3, -1, 2, 0.5]);
    expect(Array.from(lampImportance(p) as Float32Array)).toEqual(Array.from(Float32Array.from([9 / 9, 1 / 14, 4 / 13, 0.25 / 14.25])));
    globalUnstructured(p, { amount: { count: 1 } }); // masks 0.5
    expect(Array.from(lampImportance(p) as Float32Array)).toEqual(Array.from(Float32Array.from([1, 1 / 14, 4 / 13, 0])));
    model.dispose();
  });

  it('one global LAMP threshold keeps every layer alive where a global |w| threshold empties the small-weight layer', async () => {
    const model = tinyMlp(9);
    const k1 = model.params.get('fc1/kernel')!;
    const k2 = model.params.get('fc2/kernel')!;
    setValues(k1, Array.from({ length: k1.size }, (_, i) => 0.01 * (1 + (i % 7)))); // small weights
    setValues(k2, Array.from({ length: k2.size }, (_, i) => 1 + (i % 5)));
    const byMagnitude = model.clone();
    await rewindPruning(byMagnitude, { sparsities: [0.9], retrain: () => undefined });
    expect(maskOf(byMagnitude.params.get('fc1/kernel')!).every((v) => v === 0)).toBe(true);
    await rewindPruning(model, { sparsities: [0.9], importance: lampImportance, retrain: () => undefined });
    expect(maskOf(k1).filter((v) => v === 1).length).toBeGreaterThan(0);
    expect(maskOf(k2).filter((v) => v === 1).length).toBeGreaterThan(0);
    expect([k1, k2].map((k) => maskOf(k).filter((v) => v === 0).length).reduce((a, b) => a + b)).toBe(Math.round(0.9 * (k1.size + k2.size)));
    byMagnitude.dispose();
    model.dispose();
  });
});
