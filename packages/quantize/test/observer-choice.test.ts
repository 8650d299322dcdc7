import * as tf from '@tensorflow/tfjs-core';
import { createRng, GraphBuilder, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseActivationObservers, prepareStatic, type ObserverKind } from '../src/index';
import { outputOf, useWasm } from './helpers';

beforeAll(useWasm);

/** Inputs [n, 16] in [0, 1], with 2% of the rows carrying one feature at 40 (rare outliers that stretch a min/max range). */
function heavyTailed(n: number, seed: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(Float32Array.from({ length: n * 16 }, (_, i) => (i % 16 === 3 && rng() < 0.02 ? 40 : rng())), [n, 16]);
}

/** dense 16 -> 32 -> relu -> dense 32 -> relu -> dense 4 (seeded). */
function mlp(): Model {
  const b = new GraphBuilder();
  let h = b.relu(b.dense(b.input([16], { name: 'x' }), { units: 32, name: 'fc1' }), { name: 'r1' });
  h = b.relu(b.dense(h, { units: 32, name: 'fc2' }), { name: 'r2' });
  return Model.create(b.build(b.dense(h, { units: 4, name: 'fc3' })), { seed: 7 });
}

const mse = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

describe('per-node activation observer choice', () => {
  it('picks the measured minimum per node, avoids the compounding collapse of clipping everywhere (uniform kl), stays within 20% of the best uniform observer on held-out data, and leaks nothing', () => {
    const m = mlp();
    const calib = heavyTailed(256, 1);
    const test = heavyTailed(256, 2);
    const ref = outputOf(m, test);
    const heldOut = (observers?: Record<string, ObserverKind | import('../src/index').ObserverSpec>, observer?: ObserverKind): number => {
      const p = prepareStatic(m, { activations: observer ? { observer } : undefined, activationObservers: observers });
      p.calibrate(calib);
      const q = p.convert();
      const e = mse(outputOf(q, test), ref);
      [p, q].forEach((t) => t.dispose());
      return e;
    };
    const before = tf.memory().numTensors;
    const choice = chooseActivationObservers(m, calib);
    expect(tf.memory().numTensors).toBe(before);
    expect(choice.nodes.map((n) => n.node)).toEqual(['x', 'r1', 'r2', 'fc3']);
    for (const n of choice.nodes) expect(Math.min(...Object.values(n.errors))).toBe(n.errors[n.chosen]);
    const uniform = Object.fromEntries((['minmax', 'mse', 'percentile', 'kl'] as const).map((o) => [o, heldOut(undefined, o)]));
    const chosen = heldOut(choice.observers);
    console.log(`held-out output MSE: chosen per node (${choice.nodes.map((n) => `${n.node} ${n.chosen}`).join(', ')}) ${chosen.toExponential(2)}; uniform ${Object.entries(uniform).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
    expect(chosen).toBeLessThanOrEqual(1.2 * Math.min(...Object.values(uniform)));
    expect(chosen).toBeLessThan(uniform.kl! / 100);
    m.dispose();
    tf.dispose([calib, test]);
  }, 60_000);
});
