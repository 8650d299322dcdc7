import * as tf from '@tensorflow/tfjs-core';
import type { Shape } from './ir/types';
import { sizeOf } from './ir/types';
import type { InitKind } from './ops/spec';
import { createRng, hashSeed, normal } from './util/rng';

/** Fan-in and fan-out of a weight shape (Keras convention: receptive field * channels). */
export function fans(shape: Shape): [number, number] {
  if (shape.length < 2) return [shape[0] ?? 1, shape[0] ?? 1];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

/** Deterministic initial values for a parameter, seeded by (seed, name). */
export function initialValue(kind: InitKind, shape: Shape, seed: number, name: string): tf.Tensor {
  const n = sizeOf(shape);
  if (kind === 'zeros') return tf.zeros([...shape]);
  if (kind === 'ones') return tf.ones([...shape]);
  const rng = createRng(hashSeed(seed, name));
  const [fanIn, fanOut] = fans(shape);
  const data = new Float32Array(n);
  if (kind === 'glorotUniform') {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < n; i++) data[i] = (rng() * 2 - 1) * limit;
  } else {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < n; i++) data[i] = normal(rng) * std;
  }
  return tf.tensor(data, [...shape], 'float32');
}
