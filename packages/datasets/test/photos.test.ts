import { initBackend } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { centreCrop, decodeBytesWithJs, IMAGENET_MEAN, IMAGENET_STD, imageFolder } from '../src/index';
import { PHOTOS, PHOTOS_DIR } from './image-helpers';

beforeAll(() => initBackend('wasm'));

/** Independent bilinear sample (half-pixel centres) of channel `c` at output (y, x), written out longhand. */
function bilinear(data: Uint8Array, width: number, box: { top: number; left: number; h: number; w: number }, out: number, y: number, x: number, c: number): number {
  const sy = Math.max(0, ((y + 0.5) * box.h) / out - 0.5);
  const sx = Math.max(0, ((x + 0.5) * box.w) / out - 0.5);
  const y0 = Math.floor(sy);
  const x0 = Math.floor(sx);
  const y1 = Math.min(y0 + 1, box.h - 1);
  const x1 = Math.min(x0 + 1, box.w - 1);
  const at = (yy: number, xx: number): number => data[((box.top + yy) * width + box.left + xx) * 3 + c] as number;
  const dy = sy - y0;
  const dx = sx - x0;
  return at(y0, x0) * (1 - dy) * (1 - dx) + at(y0, x1) * (1 - dy) * dx + at(y1, x0) * dy * (1 - dx) + at(y1, x1) * dy * dx;
}

describe('real photos (JPEGs from @vladmandic/human) at 224x224 with ImageNet preprocessing', () => {
  it('match an independent computation from libvips-decoded pixels', async () => {
    const before = tf.memory().numTensors;
    const ds = await imageFolder(PHOTOS_DIR, { size: [224, 224], cropToAspectRatio: true, preprocess: 'imagenet', decoder: 'sharp', skipUnsupported: true });
    expect(ds.labeled).toBe(false);
    expect(ds.names().map((n) => n.slice(PHOTOS_DIR.length))).toEqual(PHOTOS);
    expect(ds.sampleShape).toEqual([224, 224, 3]);
    let k = 0;
    for await (const { x } of ds.batches({ batchSize: 2 })) {
      const values = x.dataSync();
      const n = x.shape[0] ?? 0;
      for (let i = 0; i < n; i++, k++) {
        const { data, info } = await sharp(readFileSync(join(PHOTOS_DIR, PHOTOS[k] as string))).raw().toBuffer({ resolveWithObject: true });
        expect(info.channels).toBe(3);
        const box = centreCrop(info.height, info.width, 224, 224);
        for (const [y, xx] of [[0, 0], [17, 200], [111, 112], [223, 223], [150, 3]] as const) {
          for (let c = 0; c < 3; c++) {
            const want = (bilinear(data, info.width, box, 224, y, xx, c) / 255 - (IMAGENET_MEAN[c] as number)) / (IMAGENET_STD[c] as number);
            expect(values[i * 224 * 224 * 3 + (y * 224 + xx) * 3 + c]).toBeCloseTo(want, 4);
          }
        }
      }
      x.dispose();
    }
    expect(k).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('decode with jpeg-js close to libvips (both are baseline JPEG decoders)', async () => {
    for (const name of PHOTOS.slice(1)) {
      const bytes = readFileSync(join(PHOTOS_DIR, name));
      const js = decodeBytesWithJs(bytes, name);
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      expect([js.width, js.height, js.channels]).toEqual([info.width, info.height, info.channels]);
      let sum = 0;
      for (let i = 0; i < data.length; i++) sum += Math.abs((data[i] as number) - (js.data[i] as number));
      expect(sum / data.length).toBeLessThan(2); // IDCT and upsampling differ by a level or so
    }
  });
});
