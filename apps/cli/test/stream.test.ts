import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { Dataset, type SampleSource } from '@bonsai/datasets';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataPart, type DataLoader, type DataSplits } from '../src/data';
import { shiftAugmentation } from '../src/stream';
import { tempDir } from './helpers';
import { BufferSink, main } from '../src/index';

const SHAPE = [16, 16, 1];
const SAMPLE_BYTES = 256 * 4;

/**
 * Samples made when loaded (nothing held): value k of sample i is a hash of (i, k) in [0, 1].
 * Every load records the bytes of live tensors at that moment.
 */
function probeSource(count: number, offset: number, peaks: { bytes: number; loads: number }): SampleSource {
  return {
    sampleShape: SHAPE,
    count,
    concurrency: 4,
    name: (i) => `sample ${i}`,
    load(i, out, at) {
      peaks.bytes = Math.max(peaks.bytes, tf.memory().numBytes);
      peaks.loads++;
      for (let k = 0; k < 256; k++) out[at + k] = (((i + offset) * 7919 + k * 104729) % 251) / 250;
    },
  };
}

/** A loader of `count` streamed unlabeled samples (80% train, 20% held out) that records the peak tensor bytes. */
function probeLoader(count: number, peaks: { bytes: number; loads: number }): DataLoader {
  const nTest = Math.round(count * 0.2);
  return async (d): Promise<DataSplits> => ({
    name: `probe ${count}`,
    train: dataPart(new Dataset(probeSource(count - nTest, nTest, peaks))),
    test: dataPart(new Dataset(probeSource(nTest, 0, peaks))),
    imageShape: SHAPE,
    numClasses: 10,
    labeled: false,
    batchSize: d.batchSize,
    seed: d.seed,
  });
}

describe('the CLI streams its data', () => {
  const cwd = tempDir();
  beforeAll(async () => {
    await initBackend('wasm');
    const recipe = {
      model: { zoo: 'mlp300100' },
      data: { dataset: 'synthetic', batchSize: 32 },
      steps: [
        { type: 'prune', method: 'structured', importance: 'taylor', ratio: 0.5, taylorBatches: 2 },
        { type: 'fineTune', epochs: 1 },
        { type: 'quantize', method: 'static', calibrationSamples: 10000 },
        { type: 'eval', latencyRuns: 1 },
      ],
    };
    writeFileSync(join(cwd, 'r.json'), JSON.stringify(recipe));
  });

  it('peak tensor memory does not follow the data size (100 vs 1000 samples: baseline, Taylor, KD fine-tune, BN, calibration, eval)', async () => {
    const peaks = [100, 1000].map(() => ({ bytes: 0, loads: 0 }));
    for (const [i, count] of [100, 1000].entries()) {
      const io = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd };
      const code = await main(['compress', '--recipe', 'r.json', '--latency-runs', '1', '--out', `o${count}`, '-q'], io, { recipe: { loadData: probeLoader(count, peaks[i]!) } });
      expect(code, io.stderr.text()).toBe(0);
    }
    // every pass read the samples again: more loads than samples (nothing was kept decoded)
    expect(peaks[1]!.loads).toBeGreaterThan(3 * 1000);
    // Holding the 800 training samples as a tensor would add 0.8 MB; batches (<= 500) and the
    // kept outputs (40 bytes per sample) add well under a quarter of that.
    const grow = peaks[1]!.bytes - peaks[0]!.bytes;
    expect(grow).toBeLessThan(0.25 * 800 * SAMPLE_BYTES);
  });
});

describe('shift augmentation', () => {
  it('translates each sample by a seeded offset within ±shift, zero-filling', () => {
    // 3 samples of 5x5x1 holding a single 1 at the centre: after a shift (dy, dx) the 1 is at (2+dy, 2+dx)
    const images = new Float32Array(3 * 25);
    for (let i = 0; i < 3; i++) images[i * 25 + 12] = 1;
    const x = tf.tensor4d(images, [3, 5, 5, 1]);
    const augment = (epoch: number): tf.Tensor => shiftAugmentation([5, 5, 1], 2, 1)(x, undefined, epoch);
    const seen = new Set<string>();
    for (let epoch = 0; epoch < 8; epoch++) {
      const shifted = augment(epoch);
      const v = shifted.dataSync();
      for (let i = 0; i < 3; i++) {
        const ones = [...v.subarray(i * 25, (i + 1) * 25)].map((p, k) => [p, k] as const).filter(([p]) => p !== 0);
        expect(ones).toHaveLength(1);
        expect(ones[0]![0]).toBe(1);
        const [r, c] = [Math.floor(ones[0]![1] / 5), ones[0]![1] % 5];
        seen.add(`${r - 2},${c - 2}`);
      }
      shifted.dispose();
    }
    for (const o of seen) for (const v of o.split(',').map(Number)) expect(Math.abs(v)).toBeLessThanOrEqual(2);
    expect(seen.size).toBeGreaterThan(5);
    // same seed and epoch: the same shifts
    const [a, b] = [augment(3), augment(3)];
    expect([...a.dataSync()]).toEqual([...b.dataSync()]);
    tf.dispose([a, b, x]);
  });
});
