import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shuffledIndices } from '@bonsai/core';
import { loadMnist } from '@bonsai/datasets';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers';
import { npyBytes } from './npy-writer';
import { loadFolderWithTfjs, saveFolderWithTfjs, tfjsPredict, tinyLayersCnn } from './tfjs-layers';

/** A gray 28x28 PNG of 8-bit pixels (pngjs, lossless). */
function png(pixels: Uint8Array): Buffer {
  const p = new pngjs.PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  p.data = Buffer.from(pixels);
  return pngjs.PNG.sync.write(p, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

interface Report { data: { labeled: boolean; test: number }; comparison: { json: { rows: Array<{ name: string; accuracy?: number }> } }; agreement?: { rows: Array<{ top1: number }> } }

describe('bonsai compress on an image folder (MNIST digits written as PNG)', () => {
  const cwd = tempDir();
  const n = 30;
  const { train } = loadMnist({ seed: 5, trainSize: n });
  const pixels = Array.from({ length: n }, (_, i) => Uint8Array.from(train.images.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
  // Folder listing order (what the split permutes): classes sorted by name, files sorted within a class.
  const listing: number[] = [];

  beforeAll(async () => {
    await initBackend('wasm');
    await saveFolderWithTfjs(tinyLayersCnn(2), join(cwd, 'model'));
    for (let c = 0; c < 10; c++) {
      for (let i = 0; i < n; i++) {
        if (train.labels[i] !== c) continue;
        mkdirSync(join(cwd, 'classes', String(c)), { recursive: true });
        writeFileSync(join(cwd, 'classes', String(c), `${String(i).padStart(3, '0')}.png`), png(pixels[i]!));
        listing.push(i);
      }
    }
    mkdirSync(join(cwd, 'flat'));
    pixels.forEach((p, i) => writeFileSync(join(cwd, 'flat', `${String(i).padStart(3, '0')}.png`), png(p)));
    // the same pixels as one in-memory array, in the flat folder's (sorted) order
    const all = new Uint8Array(n * 784);
    pixels.forEach((p, i) => all.set(p, i * 784));
    writeFileSync(join(cwd, 'flat.npy'), npyBytes(all, [n, 28, 28]));
  });

  /** Stock tfjs predictions of a LayersModel folder on the held-out samples (first 20% of the seeded permutation). */
  async function heldOut(dir: string, order: number[]): Promise<Int32Array> {
    const held = shuffledIndices(n, 42).subarray(0, Math.round(n * 0.2));
    const x = tf.tensor4d(Float32Array.from(Array.from(held).flatMap((k) => Array.from(pixels[order[k]!]!, (v) => v / 255))), [held.length, 28, 28, 1]);
    const m = await loadFolderWithTfjs(dir);
    const y = tfjsPredict(m, x);
    const top = tf.tidy(() => tf.argMax(y, 1).dataSync() as Int32Array);
    tf.dispose([x, y]);
    m.dispose();
    return top;
  }

  it('class subfolders: labeled, reports accuracy; stock tfjs on the held-out PNGs gives the same accuracy', async () => {
    const r = await run(['compress', 'model', '--data', 'classes', '--prune', '0.5', '--fine-tune-epochs', '1', '--latency-runs', '1', '--out', 'o-classes', '-q'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'o-classes', 'report.json'), 'utf8')) as Report;
    expect(report.data).toMatchObject({ labeled: true, test: 6 });
    const pred = await heldOut(join(cwd, 'o-classes'), listing);
    const held = shuffledIndices(n, 42).subarray(0, 6);
    // Class index = position of the class folder among the sorted folders (ImageFolder / Keras).
    const present = [...new Set(Array.from(train.labels))].sort((a, b) => a - b);
    const classOf = (digit: number): number => present.indexOf(digit);
    const acc = Array.from(held).reduce((a, k, i) => a + (pred[i] === classOf(train.labels[listing[k]!]!) ? 1 : 0), 0) / 6;
    expect(report.comparison.json.rows.at(-1)!.accuracy).toBeCloseTo(acc, 6);
  });

  it('a flat folder: unlabeled, reports agreement with the input model, not accuracy', async () => {
    const r = await run(['compress', 'model', '--data', 'flat', '--prune', '0.5', '--fine-tune-epochs', '1', '--latency-runs', '1', '--out', 'o-flat', '-q'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'o-flat', 'report.json'), 'utf8')) as Report;
    expect(report.data.labeled).toBe(false);
    expect(report.comparison.json.rows.every((row) => row.accuracy === undefined)).toBe(true);
    const order = pixels.map((_, i) => i);
    const [a, b] = [await heldOut(join(cwd, 'model'), order), await heldOut(join(cwd, 'o-flat'), order)];
    expect(a.reduce((s, p, i) => s + (p === b[i] ? 1 : 0), 0) / 6).toBeCloseTo(report.agreement!.rows.at(-1)!.top1, 6);
  });

  it('PNGs decoded batch by batch give exactly what the same pixels held in memory (.npy) give', async () => {
    const r = await run(['compress', 'model', '--data', 'flat.npy', '--prune', '0.5', '--fine-tune-epochs', '1', '--latency-runs', '1', '--out', 'o-npy', '-q'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const rows = (dir: string) => (JSON.parse(readFileSync(join(cwd, dir, 'report.json'), 'utf8')) as Report).agreement!.rows;
    expect(rows('o-npy')).toEqual(rows('o-flat'));
    const weights = (dir: string) => readdirSync(join(cwd, dir)).filter((f) => f.endsWith('.bin')).map((f) => readFileSync(join(cwd, dir, f)).toString('base64'));
    expect(weights('o-flat').length).toBeGreaterThan(0);
    expect(weights('o-npy')).toEqual(weights('o-flat'));
  });
});
