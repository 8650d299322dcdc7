import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, GraphBuilder, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaRound, quantizeDynamic, type QuantizedModel } from '../src/index';
import { outputOf, useWasm } from './helpers';

beforeAll(useWasm);

/** Seeded correlated inputs [n, 16]: 4 latent factors mixed (one fixed mixing matrix) into 16 features (+ small noise), all >= 0. */
function correlated(n: number, seed: number): tf.Tensor {
  const fixed = createRng(100);
  const mix = Array.from({ length: 4 * 16 }, () => fixed());
  const rng = createRng(seed);
  const out = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) {
    const z = [rng(), rng(), rng(), rng()];
    for (let j = 0; j < 16; j++) out[i * 16 + j] = z.reduce((s, zk, k) => s + zk * mix[k * 16 + j]!, 0) + 0.05 * rng();
  }
  return tf.tensor(out, [n, 16]);
}

/** dense 16 -> 24 -> relu -> dense 6 (seeded). */
function mlp(): Model {
  const b = new GraphBuilder();
  const h = b.relu(b.dense(b.input([16], { name: 'x' }), { units: 24, name: 'fc1' }), { name: 'r' });
  return Model.create(b.build(b.dense(h, { units: 6, name: 'fc2' })), { seed: 4 });
}

const mse = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

describe('AdaRound', () => {
  it('only moves integers between floor and ceil of w / s, and beats nearest rounding on held-out correlated data at int4 and int8', () => {
    const m = mlp();
    const calib = correlated(256, 1);
    const test = correlated(256, 2);
    const ref = outputOf(m, test);
    for (const dtype of ['int4', 'int8'] as const) {
      const q: QuantizedModel = quantizeDynamic(m, { weights: { dtype } });
      const before = tf.memory().numTensors;
      const { model: r, report } = adaRound(q, m, calib, { iterations: dtype === 'int4' ? 150 : 300, seed: 1 });
      expect(tf.memory().numTensors).toBe(before + r.params.size);
      expect(report.layers.map((l) => l.nodeId)).toEqual(['fc1', 'fc2']);
      for (const l of report.layers) if (l.kept === 'learned') expect(l.learnedError).toBeLessThan(l.nearestError);
      expect(report.layers.some((l) => l.kept === 'learned' && l.changed > 0)).toBe(true);
      const nearest = mse(outputOf(q, test), ref);
      const learned = mse(outputOf(r, test), ref);
      console.log(`${dtype}: held-out output MSE nearest ${nearest.toExponential(2)}, AdaRound ${learned.toExponential(2)} (${report.layers.map((l) => `${l.nodeId} ${l.changed} changed`).join(', ')})`);
      expect(learned).toBeLessThan(0.6 * nearest);
      for (const name of ['fc1/kernel', 'fc2/kernel']) {
        const w = m.params.get(name)!.value.dataSync();
        const { values, qparams } = r.quantizedWeights.get(name)!;
        const cols = qparams.scale.length;
        values.forEach((v, i) => {
          const x = w[i]! / qparams.scale[i % cols]!;
          expect(v === Math.floor(x) || v === Math.ceil(x) || v === qparams.qmin || v === qparams.qmax).toBe(true);
        });
        // The dequantized param is the learned integers times the scales.
        const p = r.params.get(name)!.value.dataSync();
        values.forEach((v, i) => expect(p[i]).toBeCloseTo(v * qparams.scale[i % cols]!, 6));
      }
      expect(q.quantizedWeights.get('fc1/kernel')).not.toBe(r.quantizedWeights.get('fc1/kernel'));
      [q, r].forEach((t) => t.dispose());
    }
    expect(() => adaRound(quantizeDynamic(m), m, calib, { iterations: 0 })).toThrow(ConfigError);
    m.dispose();
    tf.dispose([calib, test]);
  }, 60_000);
});
