import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, GraphBuilder, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaRound, blockReconstruction, prepareStatic, reconstructionBlocks, type QuantizedModel } from '../src/index';
import { outputOf, tinyResidual, useWasm } from './helpers';

beforeAll(useWasm);

/** One residual block as the whole model: relu(conv3x3(relu(conv3x3(x))) + conv1x1(x)) on [6, 6, 3] (seeded). */
function residualBlock(): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 3], { name: 'x' });
  const h = b.relu(b.conv2d(x, { filters: 8, kernel: 3, padding: 'same', name: 'c1' }), { name: 'r1' });
  const c2 = b.conv2d(h, { filters: 4, kernel: 3, padding: 'same', name: 'c2' });
  const skip = b.conv2d(x, { filters: 4, kernel: 1, name: 'skip' });
  return Model.create(b.build(b.relu(b.add([c2, skip], { name: 'add' }), { name: 'out' })), { seed: 3 });
}

/** Seeded smooth images [n, 6, 6, 3] in [0, 1]: a random mix of 3 fixed spatial patterns per channel, plus small noise. */
function images(n: number, seed: number): tf.Tensor {
  const fixed = createRng(50);
  const patterns = Array.from({ length: 3 }, () => Array.from({ length: 36 }, (_, p) => 0.5 + 0.5 * Math.sin((p % 6) * fixed() * 2 + Math.floor(p / 6) * fixed() * 2)));
  const rng = createRng(seed);
  const out = new Float32Array(n * 108);
  for (let i = 0; i < n; i++) {
    const mix = Array.from({ length: 9 }, () => rng());
    for (let p = 0; p < 36; p++) for (let c = 0; c < 3; c++) out[i * 108 + p * 3 + c] = (mix[c * 3]! * patterns[0]![p]! + mix[c * 3 + 1]! * patterns[1]![p]! + mix[c * 3 + 2]! * patterns[2]![p]!) / 3 + 0.02 * rng();
  }
  return tf.tensor(out, [n, 6, 6, 3]);
}

const mse = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

describe('blockReconstruction (BRECQ)', () => {
  it('cuts a residual block at its add and keeps a conv with its ReLU', () => {
    const m = tinyResidual();
    expect(reconstructionBlocks(m.graph)).toEqual([['c1', 'r1', 'c2', 'skip', 'add', 'r2', 'gap'], ['fc']]);
    m.dispose();
  });

  it('with LSQ steps lowers the held-out block output error below layer-wise AdaRound (int4 weights and activations; oracle: the float block), without leaks', () => {
    const m = residualBlock();
    const calib = images(32, 1);
    const test = images(128, 2);
    const ref = outputOf(m, test);
    const prepared = prepareStatic(m, { weights: { dtype: 'int4' }, activations: { dtype: 'int4' } });
    prepared.calibrate(calib);
    const q: QuantizedModel = prepared.convert();
    const settings = { iterations: 60, batchSize: 8, seed: 1, lr: 0.1, regularization: 1 };
    const before = tf.memory().numTensors;
    const ada = adaRound(q, prepared, calib, settings);
    // Rounding only, few steps: the report's structure and the keep rule.
    const block = blockReconstruction(q, prepared, calib, { ...settings, iterations: 10 });
    const lsq = blockReconstruction(q, prepared, calib, { ...settings, learnActivationScales: true, scaleLr: 0.01 });
    expect(tf.memory().numTensors).toBe(before + 3 * q.params.size);
    expect(block.report.blocks.map((b) => b.nodes)).toEqual([['c1', 'r1', 'c2', 'skip', 'add', 'out']]);
    expect(block.report.blocks[0]!.params).toEqual(['c1/kernel', 'c2/kernel', 'skip/kernel']);
    expect(lsq.report.blocks[0]!.activations).toEqual(['r1', 'c2', 'skip', 'add', 'out'].filter((id) => q.activationQParams.has(id)));
    for (const r of [block, lsq]) for (const b of r.report.blocks) expect(b.kept === 'learned' ? b.learnedError < b.nearestError : b.changed === 0).toBe(true);
    const [nearest, layerwise, withScales] = [q, ada.model, lsq.model].map((r) => mse(outputOf(r, test), ref));
    console.log(`held-out block output MSE: nearest ${nearest!.toExponential(3)}, AdaRound ${layerwise!.toExponential(3)}, block + LSQ ${withScales!.toExponential(3)}`);
    expect(withScales).toBeLessThan(0.9 * layerwise!);
    expect(withScales).toBeLessThan(0.9 * nearest!);
    // The learned steps are in the model's activation parameters; the integers stay within floor/ceil of w / s.
    expect(lsq.model.activationQParams.get('out')!.scale[0]).not.toBe(q.activationQParams.get('out')!.scale[0]);
    const w = prepared.params.get('c2/kernel')!.value.dataSync();
    const { values, qparams } = lsq.model.quantizedWeights.get('c2/kernel')!;
    const p = lsq.model.params.get('c2/kernel')!.value.dataSync();
    const cols = qparams.scale.length;
    values.forEach((v, i) => {
      const x = w[i]! / qparams.scale[i % cols]!;
      expect(v === Math.floor(x) || v === Math.ceil(x) || v === qparams.qmin || v === qparams.qmax).toBe(true);
      expect(p[i]).toBeCloseTo(v * qparams.scale[i % cols]!, 6);
    });
    expect(q.quantizedWeights.get('c2/kernel')).not.toBe(lsq.model.quantizedWeights.get('c2/kernel'));
    [ada.model, block.model, lsq.model, q, prepared, m].forEach((t) => t.dispose());
    tf.dispose([calib, test]);
  }, 60_000);

  it('throws ConfigError for bad options, naming them', () => {
    const m = tinyResidual();
    const x = tf.zeros([2, 6, 6, 2]);
    const prepared = prepareStatic(m);
    prepared.calibrate(x);
    const q = prepared.convert();
    const before = tf.memory().numTensors;
    const bad: Array<[Parameters<typeof blockReconstruction>[3], RegExp]> = [
      [{ iterations: 0 }, /iterations/], [{ scaleLr: -1 }, /scaleLr/], [{ blocks: [['nope']] }, /no node "nope"/],
      [{ blocks: [['c1'], ['c1', 'r1']] }, /"c1" is in two blocks/], [{ blocks: [['input']] }, /graph input/], [{ skip: ['zz'] }, /skip/], [{ blocks: [[]] }, /empty/],
    ];
    for (const [options, message] of bad) {
      expect(() => blockReconstruction(q, prepared, x, options)).toThrow(ConfigError);
      expect(() => blockReconstruction(q, prepared, x, options)).toThrow(message);
    }
    expect(() => blockReconstruction(q, prepared, tf.zeros([0, 6, 6, 2]))).toThrow(ConfigError);
    expect(tf.memory().numTensors).toBe(before + 1);
    [q, prepared, m].forEach((t) => t.dispose());
    tf.dispose(x);
  });
});
