import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, initBackend, Model } from '@bonsai/core';
import { expect } from 'vitest';

/** Activates the wasm backend (tests run on wasm). */
export async function useWasm(): Promise<void> {
  await initBackend('wasm');
}

/** Expects two arrays to be equal within `tol` (absolute). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
      throw new Error(`index ${i}: got ${actual[i]}, expected ${expected[i]} (tol ${tol})\nactual: ${Array.from(actual).slice(0, 16).join(', ')}`);
    }
  }
}

/** Values of a scalar-returning tensor function, disposing the result. */
export function scalarOf(f: () => tf.Scalar): number {
  const t = f();
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/** Four classes in 8x8 images: class k lights up quadrant k, plus uniform noise. y is one-hot. */
export function blobs(n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const labels = Array.from({ length: n }, (_, i) => (i * 7 + seed) % 4);
    const noise = tf.randomUniform([n, 8, 8, 1], 0, 0.6, 'float32', seed);
    const masks = labels.flatMap((k) => {
      const m = new Array<number>(64).fill(0);
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) m[(r + 4 * (k >> 1)) * 8 + c + 4 * (k & 1)] = 1;
      return m;
    });
    const x = tf.add(noise, tf.tensor(masks, [n, 8, 8, 1]));
    return { x, y: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 4), 'float32') };
  });
}

/** conv(width)-bn-relu-pool-flatten-dense(hidden)-relu-dense(4) on 8x8x1; nodes conv, bn, relu, pool, fc, relu_fc, out. */
export function cnn(width: number, hidden: number, seed: number): Model {
  const b = new GraphBuilder();
  const x = b.input([8, 8, 1], { name: 'x' });
  let h = b.relu(b.batchNorm(b.conv2d(x, { filters: width, kernel: 3, padding: 'same', name: 'conv' }), { name: 'bn', momentum: 0.8 }), { name: 'relu' });
  h = b.flatten(b.maxPool(h, { name: 'pool' }), { name: 'flat' });
  h = b.relu(b.dense(h, { units: hidden, name: 'fc' }), { name: 'relu_fc' });
  return Model.create(b.build(b.dense(h, { units: 4, name: 'out' })), { seed });
}

/** Copies of every param value (including BN running statistics), by name. */
export function snapshot(model: Model): Map<string, Float32Array> {
  return new Map([...model.params].map(([name, p]) => [name, p.value.dataSync().slice() as Float32Array]));
}

/** Expects every param of `model` to equal the snapshot bit for bit. */
export function expectUnchanged(model: Model, before: Map<string, Float32Array>): void {
  for (const [name, p] of model.params) {
    const now = p.value.dataSync();
    const was = before.get(name)!;
    expect(now.length, name).toBe(was.length);
    for (let i = 0; i < was.length; i++) if (now[i] !== was[i]) throw new Error(`param ${name} changed at ${i}: ${was[i]} -> ${now[i]}`);
  }
}

/** Fraction of rows where the argmax of two logit tensors agree (or of logits vs one-hot). */
export function agreement(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(a, -1), tf.argMax(b, -1)), 'float32')).dataSync()[0]!);
}
