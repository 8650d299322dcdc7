import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { BonsaiError, createRng } from '@bonsai/core';
import { fromQuantizedArtifacts, type QuantizedArtifacts } from '../src/index';
import { outputOf } from './helpers';

/** What {@link fuzzQuantizedBytes} saw. */
export interface FuzzResult {
  loaded: number;
  identical: number;
  /** Distinct messages of errors outside the BonsaiError hierarchy (must be empty). */
  untyped: string[];
  /** tf.memory().numTensors after the run minus before. */
  leaked: number;
}

/**
 * Mutates the `quantized` bytes (or, with `part: 'weights'`, the float weights.bin bytes) of the bases (round robin) `cases` times — 1 to 4 bit flips,
 * truncation, or zero padding, seeded — and loads each with fromQuantizedArtifacts. Every 25th
 * model that loads is compared with `ref` (the unmutated output on `x`). Expects only typed
 * errors (BonsaiError), no leaked tensor and at least one load (bit flips inside integers).
 */
export async function fuzzQuantizedBytes(bases: QuantizedArtifacts[], x: tf.Tensor, ref: Float32Array, { cases, seed, label, part = 'quantized' }: { cases: number; seed: number; label: string; part?: 'quantized' | 'weights' }): Promise<FuzzResult> {
  const rng = createRng(seed);
  const before = tf.memory().numTensors;
  const untyped = new Set<string>();
  let loaded = 0;
  let identical = 0;
  for (let i = 0; i < cases; i++) {
    const base = bases[i % bases.length]!;
    let bytes = new Uint8Array(part === 'quantized' ? base.quantized : base.weights.slice(0));
    const kind = Math.floor(rng() * 3);
    if (kind === 0) for (let k = 1 + Math.floor(rng() * 4); k > 0; k--) bytes[Math.floor(rng() * bytes.length)]! ^= 1 << Math.floor(rng() * 8);
    else if (kind === 1) bytes = bytes.slice(0, Math.floor(rng() * bytes.length));
    else bytes = Uint8Array.from([...bytes, ...new Uint8Array(1 + Math.floor(rng() * 16))]);
    try {
      const m = await fromQuantizedArtifacts(part === 'quantized' ? { ...base, quantized: bytes } : { ...base, weights: bytes.slice().buffer });
      loaded++;
      if (i % 25 === 0 && outputOf(m, x).every((v, j) => v === ref[j])) identical++;
      m.dispose();
    } catch (e) {
      if (!(e instanceof BonsaiError)) untyped.add(`${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  }
  const leaked = tf.memory().numTensors - before;
  console.log(`${label} fuzz: ${loaded} of ${cases} loaded, ${identical} sampled identical`);
  expect([...untyped].slice(0, 10)).toEqual([]);
  expect(leaked).toBe(0);
  expect(loaded).toBeGreaterThan(0);
  return { loaded, identical, untyped: [...untyped], leaked };
}
