import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { type Graph, GraphBuilder, Model, initBackend } from '../src/index';

/** Activates the wasm backend (tests run on wasm). */
export async function useWasm(): Promise<void> {
  await initBackend('wasm');
}

/** Expects two arrays to be equal within `tol` (absolute). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > tol) {
      throw new Error(`index ${i}: got ${actual[i]}, expected ${expected[i]} (tol ${tol})\nactual: ${Array.from(actual).slice(0, 32).join(', ')}`);
    }
  }
}

/** Builds a one-op model on an input of `shape`, with given param values. */
export function oneOp(op: string, shape: number[], attrs: Record<string, unknown>, params: Record<string, number[]> = {}): Model {
  const b = new GraphBuilder();
  const x = b.input(shape, { name: 'x' });
  const y = b.op(op, [x], attrs as never, 'y');
  const m = Model.create(b.build(y), { seed: 1 });
  for (const [role, values] of Object.entries(params)) {
    const p = m.param('y', role)!;
    const t = tf.tensor(values, p.shape);
    p.assign(t);
    t.dispose();
  }
  return m;
}

/** Runs a model on data of the given full shape and returns the output values. */
export function runOn(model: Model, data: number[], shape: number[], training = false): Float32Array {
  return tf.tidy(() => model.forward(tf.tensor(data, shape), { training }).dataSync() as Float32Array);
}

export type { Graph };
