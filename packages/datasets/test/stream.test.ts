import { initBackend } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dataset, readHeader, resolveDecoder, type SampleSource } from '../src/index';
import { encodePng } from './image-helpers';

beforeAll(() => initBackend('wasm'));

/** A source whose loads finish only when the test says so, recording when each started. */
function gatedSource(count: number): { source: SampleSource; started: number[]; release: () => void } {
  const started: number[] = [];
  const waiting: (() => void)[] = [];
  const source: SampleSource = {
    sampleShape: [2],
    count,
    concurrency: 2,
    name: (i) => `s${i}`,
    load(index, out, offset) {
      started.push(index);
      out[offset] = index;
      out[offset + 1] = -index;
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
  return { source, started, release: () => waiting.splice(0).forEach((r) => r()) };
}

/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('Dataset.batches prefetch', () => {
  it('starts loading the next batch before handing out the current one, and no further', async () => {
    const { source, started, release } = gatedSource(8);
    const it = new Dataset(source).batches({ batchSize: 2, prefetch: 1 })[Symbol.asyncIterator]();
    const first = it.next();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]); // batch 0 and the prefetched batch 1, nothing of batch 2
    release();
    const b0 = await first;
    expect(Array.from(b0.value?.x.dataSync() ?? [])).toEqual([0, -0, 1, -1]);
    b0.value?.x.dispose();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]); // while the consumer holds batch 0, batch 1 is loading
    const second = it.next();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]); // asking for batch 1 starts batch 2
    release();
    (await second).value?.x.dispose();
    await it.return(undefined);
    release();
  });

  it('with prefetch 0 loads one batch at a time and never more than `concurrency` samples at once', async () => {
    const { source, started, release } = gatedSource(6);
    const it = new Dataset(source).batches({ batchSize: 3, prefetch: 0 })[Symbol.asyncIterator]();
    const first = it.next();
    await settle();
    expect(started).toEqual([0, 1]); // concurrency 2 within the batch
    release();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    release();
    (await first).value?.x.dispose();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    await it.return(undefined);
    release();
    expect(tf.memory().numTensors).toBe(0);
  });

  it('rejects the iteration with the failing sample named, and wraps plain errors', async () => {
    const source: SampleSource = {
      sampleShape: [1],
      count: 3,
      concurrency: 1,
      name: (i) => `file-${i}.png`,
      load(index) {
        if (index === 2) throw new Error('boom');
      },
    };
    const run = async (): Promise<void> => {
      for await (const { x } of new Dataset(source).batches({ batchSize: 2 })) x.dispose();
    };
    await expect(run()).rejects.toThrow(/file-2\.png: cannot load sample: boom/);
  });
});

describe('image headers and the sharp decoder', () => {
  it('reads gray, CMYK and 16-bit from headers, and decodes them to 8-bit gray / sRGB', async () => {
    const rgb = Buffer.from(Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 5) % 256));
    const grayJpeg = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('b-w').jpeg().toBuffer();
    const cmykJpeg = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
    const png16 = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect(readHeader(grayJpeg)).toEqual({ format: 'jpeg', gray: true, cmyk: false, highDepth: false });
    expect(readHeader(cmykJpeg)).toMatchObject({ format: 'jpeg', cmyk: true });
    expect(readHeader(png16)).toMatchObject({ format: 'png', gray: false, highDepth: true });
    expect(readHeader(encodePng(new Uint8Array(4), 2, 2, 1))).toMatchObject({ format: 'png', gray: true });
    expect(readHeader(Uint8Array.of(1, 2, 3))).toBeUndefined();
    const { decode } = await resolveDecoder('sharp');
    const dir = mkdtempSync(join(tmpdir(), 'hdr-'));
    const cases: [string, Buffer, number][] = [['g.jpg', grayJpeg, 1], ['c.jpg', cmykJpeg, 3], ['p.png', png16, 3]];
    for (const [name, bytes, channels] of cases) {
      writeFileSync(join(dir, name), bytes);
      const image = await decode(join(dir, name));
      expect([image.width, image.height, image.channels, image.data.length]).toEqual([8, 8, channels, 64 * channels]);
    }
    const png = await decode(join(dir, 'p.png'));
    // 16-bit values scaled to 8 bits: the first pixel was (0, 5, 10).
    expect(Array.from(png.data.subarray(0, 3))).toEqual([0, 5, 10]);
  });
});
