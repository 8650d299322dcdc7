import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { vit } from '@bonsai/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { convert, prepareStatic } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('static int8 ViT', () => {
  it('quantizes every attention projection (Wq, Wk, Wv, Wo) and the MLP; calibrated output stays close to float', () => {
    const before = tf.memory().numTensors;
    const model = vit({ dim: 16, depth: 2, heads: 4, seed: 4 });
    const calib = tf.randomUniform([64, 28, 28, 1], 0, 1, 'float32', 1);
    const x = tf.randomUniform([32, 28, 28, 1], 0, 1, 'float32', 2);
    const prepared = prepareStatic(model);
    prepared.calibrate(calib, { batchSize: 32 });
    const q = convert(prepared);
    const names = [...q.quantizedWeights.keys()];
    for (const role of ['wq', 'wk', 'wv', 'wo']) expect(names).toContain(`blk1_attn/${role}`);
    expect(names).toContain('blk2_fc1/kernel');
    const a = model.forward(x);
    const b = q.forward(x);
    const [diff, scale, agree] = tf.tidy(() => [
      tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!,
      tf.max(tf.abs(a)).dataSync()[0]!,
      tf.mean(tf.cast(tf.equal(tf.argMax(a, -1), tf.argMax(b, -1)), 'float32')).dataSync()[0]!,
    ]);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.1 * scale);
    expect(agree).toBeGreaterThanOrEqual(0.9);
    tf.dispose([a, b, calib, x]);
    prepared.dispose();
    q.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
