import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { GraphBuilder, Model, initBackend, type Param } from '@bonsai/core';

/** Tests run on the wasm backend. */
export async function useWasm(): Promise<void> {
  await initBackend('wasm');
}

/** A small MLP: x[8] -> fc1 (16) -> relu -> fc2 (4). */
export function tinyMlp(seed = 1): Model {
  const b = new GraphBuilder();
  const x = b.input([8], { name: 'x' });
  const h = b.relu(b.dense(x, { units: 16, name: 'fc1' }), { name: 'relu1' });
  return Model.create(b.build(b.dense(h, { units: 4, name: 'fc2' })), { seed });
}

/** A small CNN: x[6,6,8] -> conv (3x3, 4 filters) -> flatten -> fc (4). */
export function tinyCnn(seed = 1): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 8], { name: 'x' });
  const c = b.relu(b.conv2d(x, { filters: 4, kernel: 3, name: 'conv' }), { name: 'relu' });
  return Model.create(b.build(b.dense(b.flatten(c, { name: 'flat' }), { units: 4, name: 'fc' })), { seed });
}

/** Synthetic 4-class data for {@link tinyMlp}: the class is the argmax of 4 fixed projections. */
export function synthetic(n: number, seed = 3): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 8], 0, 1, 'float32', seed);
    const w = tf.randomNormal([8, 4], 0, 1, 'float32', seed + 1);
    const y = tf.cast(tf.oneHot(tf.argMax(tf.matMul(x, w), -1), 4), 'float32');
    return { x, y };
  });
}

/** Sets a param's values. */
export function setValues(p: Param, values: number[]): void {
  const t = tf.tensor(values, p.shape);
  p.assign(t);
  t.dispose();
}

/** The param's mask as a plain array (all ones when unmasked). */
export function maskOf(p: Param): number[] {
  return p.mask ? Array.from(p.mask.dataSync()) : new Array<number>(p.size).fill(1);
}

/** Zeros of the mask. */
export function maskZeros(p: Param): number {
  return maskOf(p).filter((v) => v === 0).length;
}

/**
 * Runs `fn` and asserts the live tensor count changed by exactly `masksAdded` (each newly masked
 * param owns one new mask tensor; baking frees one): no intermediate tensor is leaked.
 */
export async function noLeaks<T>(fn: () => T | Promise<T>, masksAdded = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before + masksAdded);
  return out;
}
