import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shuffledIndices } from '@bonsai/core';
import { readPreprocessing } from '@bonsai/interop';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers';
import { writePhotoCrops } from './photo-crops';
import { loadGraphFolderWithTfjs } from './tfjs-layers';

/** The vendored MediaPipe hand-landmark GraphModel (224x224x3 in; hand score, 63 landmarks, handedness, 63 world landmarks out). */
const HAND = join(__dirname, '..', '..', '..', 'packages', 'interop', 'test', 'fixtures', 'graph-model', 'handlandmark-lite');

interface Report {
  source: { format: string };
  data: { labeled: boolean; train: number; test: number };
  comparison: { json: { rows: Array<{ name: string; accuracy?: number; params: number; macs: number }> } };
  agreement?: { rows: Array<{ name: string; top1: number; meanKl: number; maxAbsDiff: number; samples: number; binary?: boolean }> };
  steps: Array<{ type: string; details: { steps?: number; epochLosses?: number[] } }>;
  output: { format: string };
}

/** The PNGs at `files` as one [n, 224, 224, 3] batch in [0, 1]: pngjs decode, tfjs bilinear resize (half-pixel centres). */
function stockInputs(files: readonly string[]): tf.Tensor4D {
  return tf.tidy(() => {
    const xs = files.map((f) => {
      const png = pngjs.PNG.sync.read(readFileSync(f));
      const rgb = new Float32Array(png.width * png.height * 3);
      for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c]! / 255;
      return tf.tensor3d(rgb, [png.height, png.width, 3]);
    });
    return tf.image.resizeBilinear(tf.stack(xs) as tf.Tensor4D, [224, 224], false, true);
  });
}

describe('a real 224x224 model end to end: bonsai compress on MediaPipe hand landmarks with real photos', () => {
  const cwd = tempDir();
  const n = 10;
  let files: string[] = [];

  beforeAll(async () => {
    await initBackend('wasm');
    files = await writePhotoCrops(join(cwd, 'photos'), n, { size: 256, seed: 3 });
  });

  it('without labels: distils all four heads, writes a GraphModel stock tfjs-converter runs, agreement reproduced by stock tfjs', async () => {
    const r = await run(['compress', HAND, '--data', 'photos', '--prune', '0.25', '--fine-tune-epochs', '2', '--latency-runs', '1', '--out', 'out-free'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('preprocessing: [0,1] (x/255), the default');
    // the unpruned model has 8,833,472 activation floats per sample x 4 bytes x 4 (training) = 141 MB: 7 samples fit
    // the 1 GiB budget (64 overran the wasm heap); the pruned student, with 3/4 of the channels, fits a few more
    const batch = Number(/fine-tune \(KD, no labels\): batch size (\d+) \(not 64\)/.exec(r.stderr)?.[1]);
    expect(batch).toBeGreaterThanOrEqual(7);
    expect(batch).toBeLessThanOrEqual(10);
    const out = join(cwd, 'out-free');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.source.format).toBe('graph-model');
    expect(report.output.format).toContain('tfjs GraphModel');
    expect(report.data).toMatchObject({ labeled: false, train: 8, test: 2 });
    const rows = report.comparison.json.rows;
    expect(rows[0]!.params / rows.at(-1)!.params).toBeGreaterThan(1.4);
    expect(rows[0]!.macs / rows.at(-1)!.macs).toBeGreaterThan(1.4);
    // the fine-tune had something to learn (the 1-wide hand score alone gives a zero softmax-KD loss)
    const losses = report.steps.find((s) => s.type === 'fineTune')!.details.epochLosses!;
    expect(losses[0]).toBeGreaterThan(0);
    expect(losses[1]).toBeLessThan(losses[0]!);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(json.format).toBe('graph-model');
    expect(readPreprocessing(json)).toBe('[0,1]');
    // Independent check with stock tfjs: held-out = first 20% of shuffledIndices(10, 42) of the sorted listing.
    const held = [...shuffledIndices(n, 42).subarray(0, 2)].map((k) => files[k]!);
    const x = stockInputs(held);
    const original = await loadGraphFolderWithTfjs(HAND);
    const written = await loadGraphFolderWithTfjs(out);
    const heads = ['Identity_1', 'Identity', 'Identity_2', 'Identity_3'];
    // the converter's model.json fixes the batch to 1: run the held-out images one at a time
    const runHeads = (m: typeof original): tf.Tensor[] =>
      tf.tidy(() => {
        const per = held.map((_, i) => m.execute(tf.slice(x, [i], [1]), heads) as tf.Tensor[]);
        return heads.map((_, h) => tf.concat(per.map((p) => p[h]!)));
      });
    const a = runHeads(original);
    const b = runHeads(written);
    expect(b.map((t) => t.shape)).toEqual([[2, 1], [2, 63], [2, 1], [2, 63]]);
    const final = report.agreement!.rows.at(-1)!;
    expect(final).toMatchObject({ binary: true, samples: 2 });
    const [ta, tb] = [Array.from(a[0]!.dataSync()), Array.from(b[0]!.dataSync())];
    const same = ta.reduce((s, v, i) => s + ((v > 0.5) === (tb[i]! > 0.5) ? 1 : 0), 0) / 2;
    expect(final.top1).toBeCloseTo(same, 9);
    const diff = Math.max(...ta.map((v, i) => Math.abs(v - tb[i]!)));
    expect(Math.abs(diff - final.maxAbsDiff)).toBeLessThan(1e-3);
    tf.dispose([x, ...a, ...b]);
    original.dispose();
    written.dispose();
  });

  it('with labels (one class folder; the model\'s first head is one score, so accuracy is trivially 100%): the labeled path writes a loadable GraphModel', async () => {
    mkdirSync(join(cwd, 'labeled'));
    renameSync(join(cwd, 'photos'), join(cwd, 'labeled', 'hand'));
    const r = await run(['compress', join(HAND, 'model.json'), '--data', 'labeled', '--prune', '0.5', '--fine-tune-epochs', '0', '--preprocess', '[0,1]', '--latency-runs', '1', '--out', 'out-labeled'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const out = join(cwd, 'out-labeled');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.data).toMatchObject({ labeled: true, test: 2 });
    expect(report.agreement).toBeUndefined();
    expect(report.comparison.json.rows.at(-1)!.accuracy).toBe(1);
    const written = await loadGraphFolderWithTfjs(out);
    const x = tf.zeros([1, 224, 224, 3]);
    const y = written.execute(x, 'Identity') as tf.Tensor;
    expect(y.shape).toEqual([1, 63]);
    tf.dispose([x, y]);
    written.dispose();
  });
});
