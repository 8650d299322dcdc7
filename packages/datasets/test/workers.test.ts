import { initBackend, IoError } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, imageFolder } from '../src/index';
import { PHOTOS, PHOTOS_DIR, tempDir } from './image-helpers';

const dir = tempDir();
beforeAll(() => initBackend('wasm'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pass(workers: number, folder: string): Promise<Float32Array[]> {
  const ds = await imageFolder(folder, { size: [40, 48], cropToAspectRatio: true, preprocess: 'imagenet', skipUnsupported: true, workers });
  const out: Float32Array[] = [];
  for await (const { x } of ds.batches({ batchSize: 2, shuffle: true, seed: 3 })) {
    out.push(x.dataSync() as Float32Array);
    x.dispose();
  }
  return out;
}

describe('worker threads (workers: n)', () => {
  it('give exactly the samples the main thread gives', async () => {
    const before = tf.memory().numTensors;
    const main = await pass(0, PHOTOS_DIR);
    const pooled = await pass(1, PHOTOS_DIR);
    expect(pooled.map((b) => Array.from(b))).toEqual(main.map((b) => Array.from(b)));
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('report bad files with the same typed errors', async () => {
    const photo = readFileSync(join(PHOTOS_DIR, PHOTOS[2] as string));
    writeFileSync(join(dir, 'a.jpg'), photo);
    writeFileSync(join(dir, 'b.jpg'), photo.subarray(0, photo.length >> 1));
    const ds = await imageFolder(dir, { size: [8, 8], workers: 1 });
    const drain = async (): Promise<unknown> => {
      try {
        for await (const { x } of ds.batches({ batchSize: 2 })) x.dispose();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const corrupt = await drain();
    expect(corrupt).toBeInstanceOf(DatasetError);
    expect((corrupt as DatasetError).file).toBe(join(dir, 'b.jpg'));
    expect((corrupt as Error).message).toMatch(/b\.jpg: corrupt or truncated image/);
    unlinkSync(join(dir, 'a.jpg'));
    const gone = await drain();
    expect(gone).toBeInstanceOf(IoError);
    expect((gone as IoError).path).toBe(join(dir, 'a.jpg'));
    expect((gone as IoError).reason).toBe('ENOENT');
  }, 60_000);
});
