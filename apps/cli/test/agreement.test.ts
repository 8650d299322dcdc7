import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { agreement } from '../src/index';
import { trainBatches, type DataSplits } from '../src/data';

describe('agreement (label-free evaluation)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('matches a hand computation: top-1, top-k, mean KL of the softmaxes, max |Δ|', () => {
    const t = [[2, 1, 0, -1, -2, -3], [0, 3, 1, 0, 0, 0], [1, 1, 5, 0, 0, 0]];
    const s = [[2, 1, 0, -1, -2, -3], [3, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 4]];
    const before = tf.memory().numTensors;
    const [tt, st] = [tf.tensor2d(t), tf.tensor2d(s)];
    const a = agreement(tt, st);
    // row 0 identical; row 1: student picks class 0, which is 2nd..5th in the teacher's row (tied 0s: rank 2) -> in top-5;
    // row 2: student picks class 5, teacher's value 0 is below 1, 1, 5 -> rank 4 (3 above) -> in top-5, not top-1
    expect(a.top1).toBeCloseTo(1 / 3, 9);
    expect(a.top5).toBeCloseTo(1, 9);
    expect(a.k).toBe(5);
    const softmax = (r: number[]): number[] => {
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(v - m));
      const z = e.reduce((x, y) => x + y, 0);
      return e.map((v) => v / z);
    };
    const kl = t.map((row, i) => {
      const p = softmax(row);
      const q = softmax(s[i]!);
      return p.reduce((acc, pi, j) => acc + pi * Math.log(pi / q[j]!), 0);
    });
    expect(a.meanKl).toBeCloseTo(kl.reduce((x, y) => x + y, 0) / 3, 5);
    expect(a.maxAbsDiff).toBe(5);
    expect(a.samples).toBe(3);
    tf.dispose([tt, st]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a single score per sample is a binary decision: same side of 0.5 (probabilities) or 0 (logits), Bernoulli KL', () => {
    const before = tf.memory().numTensors;
    const [tp, sp] = [tf.tensor2d([[0.9], [0.2], [0.6]]), tf.tensor2d([[0.7], [0.4], [0.4]])];
    const a = agreement(tp, sp);
    const bern = (p: number, q: number): number => p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
    expect(a).toMatchObject({ samples: 3, k: 1, binary: true });
    expect(a.top1).toBeCloseTo(2 / 3, 9);
    expect(a.top5).toBe(a.top1);
    expect(a.meanKl).toBeCloseTo((bern(0.9, 0.7) + bern(0.2, 0.4) + bern(0.6, 0.4)) / 3, 6);
    expect(a.maxAbsDiff).toBeCloseTo(0.2, 6);
    // logits: threshold 0, sigmoid probabilities
    const [tl, sl] = [tf.tensor2d([[2], [-1]]), tf.tensor2d([[-0.5], [-3]])];
    const b = agreement(tl, sl);
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expect(b.top1).toBeCloseTo(0.5, 9);
    expect(b.meanKl).toBeCloseTo((bern(sig(2), sig(-0.5)) + bern(sig(-1), sig(-3))) / 2, 6);
    expect(b.maxAbsDiff).toBeCloseTo(2.5, 6);
    tf.dispose([tp, sp, tl, sl]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched shapes with a ShapeError', () => {
    const [x, y] = [tf.zeros([2, 3]), tf.zeros([3, 3])];
    expect(() => agreement(x, y)).toThrow(/both be \[n, classes\]/);
    tf.dispose([x, y]);
  });
});

describe('shift augmentation', () => {
  it('translates each sample by a seeded offset within ±shift, zero-filling, and keeps labels', () => {
    // 3 samples of 5x5x1 holding a single 1 at the centre: after a shift (dy, dx) the 1 is at (2+dy, 2+dx)
    const images = new Float32Array(3 * 25);
    for (let i = 0; i < 3; i++) images[i * 25 + 12] = 1;
    const d: DataSplits = {
      name: 't', train: { images, labels: Uint8Array.from([0, 1, 2]), count: 3 }, test: { images: new Float32Array(0), labels: new Uint8Array(0), count: 0 },
      imageShape: [5, 5, 1], numClasses: 3, labeled: true, batchSize: 3, seed: 1,
    };
    const seen = new Set<string>();
    for (let epoch = 0; epoch < 8; epoch++) {
      for (const b of trainBatches(d, 3, 1, { shift: 2 })(epoch)) {
        const x = b.x.dataSync();
        const y = b.y.dataSync();
        for (let i = 0; i < 3; i++) {
          const ones = [...x.subarray(i * 25, (i + 1) * 25)].map((v, k) => [v, k] as const).filter(([v]) => v !== 0);
          expect(ones).toHaveLength(1);
          expect(ones[0]![0]).toBe(1);
          const [r, c] = [Math.floor(ones[0]![1] / 5), ones[0]![1] % 5];
          seen.add(`${r - 2},${c - 2}`);
          expect(Array.from(y.subarray(i * 3, (i + 1) * 3)).reduce((a, v) => a + v, 0)).toBe(1);
        }
        tf.dispose([b.x, b.y]);
      }
    }
    for (const o of seen) for (const v of o.split(',').map(Number)) expect(Math.abs(v)).toBeLessThanOrEqual(2);
    expect(seen.size).toBeGreaterThan(5);
    // same seed and epoch: the same batches
    const [a] = [...trainBatches(d, 3, 1, { shift: 2 })(3)];
    const [b] = [...trainBatches(d, 3, 1, { shift: 2 })(3)];
    expect([...a!.x.dataSync()]).toEqual([...b!.x.dataSync()]);
    tf.dispose([a!.x, a!.y, b!.x, b!.y]);
  });
});
