import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Param, adam, initBackend, sgd } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Adam written out from Kingma & Ba (float64 arithmetic, every stored value rounded to float32), weight decay as L2 on the gradient (rounded as tfjs ops round it). */
function adamReference(w0: Float32Array, grads: readonly Float32Array[], o: { lr: number; b1: number; b2: number; eps: number; wd: number }): Float32Array {
  const w = Float32Array.from(w0);
  const m = new Float32Array(w.length);
  const v = new Float32Array(w.length);
  grads.forEach((g, step) => {
    const t = step + 1;
    for (let i = 0; i < w.length; i++) {
      const gi = o.wd > 0 ? Math.fround(g[i]! + Math.fround(w[i]! * o.wd)) : g[i]!;
      // The update uses the moments before they are rounded to float32 for storage.
      const mi = o.b1 * m[i]! + (1 - o.b1) * gi;
      const vi = o.b2 * v[i]! + (1 - o.b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i]! - o.lr * (mi / (1 - o.b1 ** t)) / (Math.sqrt(vi / (1 - o.b2 ** t)) + o.eps);
    }
  });
  return w;
}

const seeded = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 0.5);

describe('optimizers', () => {
  for (const wd of [0, 0.01]) {
    it(`adam equals the textbook update bit for bit over 5 steps (weight decay ${wd}), holding no tensors`, () => {
      const w0 = seeded(1000, 1);
      const grads = [2, 3, 4, 5, 6].map((s) => seeded(1000, s));
      const before = tf.memory().numTensors;
      const t = tf.tensor(w0, [10, 100]);
      const p = new Param('dense/kernel', t);
      t.dispose();
      const o = adam({ lr: 0.01, weightDecay: wd });
      for (const g of grads) {
        const gt = tf.tensor(g, [10, 100]);
        o.step([p], { 'dense/kernel': gt });
        gt.dispose();
      }
      // The moments are arrays inside the optimizer: the param is the only tensor left.
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(Array.from(p.value.dataSync())).toEqual(Array.from(adamReference(w0, grads, { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-7, wd })));
      o.dispose();
      p.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('adam starts a param over (fresh moments, step count 1) when its shape changes, e.g. after pruning', () => {
    const t = tf.tensor(seeded(12, 1), [3, 4]);
    const p = new Param('fc/kernel', t);
    t.dispose();
    const o = adam({ lr: 0.1 });
    const step = (g: Float32Array, shape: number[]) => {
      const gt = tf.tensor(g, shape);
      o.step([p], { 'fc/kernel': gt });
      gt.dispose();
    };
    step(seeded(12, 2), [3, 4]);
    step(seeded(12, 3), [3, 4]);
    const pruned = tf.tensor(seeded(8, 4), [2, 4]);
    p.replace(pruned);
    pruned.dispose();
    step(seeded(8, 5), [2, 4]);
    expect(Array.from(p.value.dataSync())).toEqual(Array.from(adamReference(seeded(8, 4), [seeded(8, 5)], { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-7, wd: 0 })));
    o.dispose();
    p.dispose();
  });

  it('sgd with momentum keeps one tensor per param and frees it on dispose', () => {
    const before = tf.memory().numTensors;
    const t = tf.tensor([1, 2, 3, 4], [2, 2]);
    const p = new Param('fc/kernel', t);
    t.dispose();
    const o = sgd({ lr: 0.5, momentum: 0.5 });
    for (let k = 0; k < 2; k++) {
      const g = tf.tensor([1, 1, 1, 1], [2, 2]);
      o.step([p], { 'fc/kernel': g });
      g.dispose();
    }
    // buf 1 then 1.5: w - 0.5 - 0.75
    expect(Array.from(p.value.dataSync())).toEqual([-0.25, 0.75, 1.75, 2.75]);
    expect(tf.memory().numTensors).toBe(before + 2);
    o.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
