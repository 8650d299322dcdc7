import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, recalibrateBatchNorm, type Model } from '@bonsai/core';
import { lossCurves } from '@bonsai/eval';
import { smallCnn } from '@bonsai/models';
import { fitConfigurations, groupSensitivity, matchRate, measureLatencyTable, pruneToRatios, references, Structure, SweepPool, topClasses } from '../src/index';

let model: Model;
let x: tf.Tensor;
let pool: SweepPool;

beforeAll(async () => {
  await initBackend('wasm');
  model = smallCnn({ widths: [4, 8], hidden: 16, dropout: 0, seed: 1, inputShape: [12, 12, 1] });
  x = tf.randomUniform([48, 12, 12, 1], 0, 1, 'float32', 7);
  pool = new SweepPool({ workers: 2 });
});

afterAll(async () => {
  await pool.destroy();
  model.dispose();
  x.dispose();
});

describe('groupSensitivity', () => {
  it('equals the sequential run on 2 worker threads, row for row', async () => {
    const roots = new Structure(model).roots;
    const { metric, labels } = references(model, { x });
    expect(metric).toBe('agreement');
    const before = tf.memory().numTensors;
    const seq = await groupSensitivity(model, x, labels, { roots, ratios: [0.25, 0.75] });
    expect(tf.memory().numTensors).toBe(before);
    const par = await groupSensitivity(model, x, labels, { roots, ratios: [0.25, 0.75], pool });
    expect(par).toEqual(seq);
    expect(seq).toHaveLength(roots.length * 2);
    expect(seq[0]!.baseline).toBe(1); // agreement of the dense model with itself
    // Oracle for one row: prune that group alone by hand and score.
    const row = seq.find((r) => r.node === 'conv3' && r.ratio === 0.75)!;
    const c = model.clone();
    pruneToRatios(c, { conv3: 0.75 });
    expect(c.param('conv3', 'kernel')!.shape).toEqual([3, 3, 4, 2]);
    recalibrateBatchNorm(c, [x]); // the sweep re-estimates BN statistics on the scored inputs
    expect(Array.from(c.param('bn3', 'movingMean')!.value.dataSync())).not.toEqual(Array.from(model.param('bn3', 'movingMean')!.value.dataSync()).slice(0, 2));
    expect(row.score).toBe(matchRate(topClasses(c, x), labels));
    c.dispose();
    const curves = lossCurves(seq);
    for (const curve of curves.values()) {
      expect(curve.ratios).toEqual([0, 0.25, 0.75]);
      expect(curve.drops[2]!).toBeGreaterThanOrEqual(curve.drops[1]!);
    }
  });
});

describe('latency table on worker threads', () => {
  it('splits the configurations over the workers (each chunk led by the dense model) and fits them', async () => {
    const s = new Structure(model);
    const t = await measureLatencyTable(model, s, { batch: 1, configs: 5, runs: 1, warmup: 1, cacheDir: false, pool });
    expect(t.clock).toBe('wall');
    expect(t.points.map((p) => p.ratios)).toEqual(fitConfigurations(s, 5, 0));
    expect(t.points.every((p) => p.ms > 0)).toBe(true);
    expect(t.fit.terms.length).toBeGreaterThan(0);
  });
});
