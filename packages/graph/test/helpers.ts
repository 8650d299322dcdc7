import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { Group } from '../src/index';

const ZEROED_ROLES = new Set(['kernel', 'bias', 'beta', 'movingMean']);

/**
 * Makes the group's channels output exactly 0 without removing them: zeroes the producers'
 * out-channel kernels and biases and, for batch norm, beta and the running mean (so BN maps 0 to 0).
 */
export function zeroGroup(model: Model, group: Group): void {
  for (const m of group.members()) {
    if (m.side !== 'out' || !ZEROED_ROLES.has(m.role)) continue;
    const p = model.params.get(m.name)!;
    const n = p.shape[m.axis]!;
    const keep = new Float32Array(n).fill(1);
    for (const i of m.indices) keep[i] = 0;
    const bshape = p.shape.map((d, i) => (i === m.axis ? d : 1));
    tf.tidy(() => p.assign(tf.mul(p.value, tf.reshape(tf.tensor1d(keep), bshape))));
  }
}

/** Largest absolute difference of two equally shaped tensors. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** Every other unit of a group (as many as the budget allows), as a sub-group. */
export function everyOther(group: Group): Group {
  const budget = group.budget();
  for (let i = 0; i < group.size; i += 2) budget.tryAdd(i);
  return budget.finish();
}

/** Runs the file's tests on wasm and fails any test that leaves tensors behind. */
export function useWasmWithoutLeaks(): void {
  let before = 0;
  beforeAll(async () => {
    await initBackend('wasm');
  });
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });
}
