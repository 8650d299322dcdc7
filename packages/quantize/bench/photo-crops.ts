/**
 * Seeded crops of the real photos vendored in @bonsai/datasets' test fixtures (`samples.jpg`,
 * `screenshot-faceid.jpg`, `screenshot-vrm.jpg`, MIT, from @vladmandic/human): the unlabeled image
 * data of the quantize real-model bench and the budget bench.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@bonsai/core';
import { decodeBytesWithJs } from '@bonsai/datasets';

const PHOTOS = join(dirname(fileURLToPath(import.meta.url)), '../../datasets/test/fixtures/photos');

/** `n` seeded square crops (side 15-60% of the shorter edge) of the photos, resized to [h, w], gray when c = 1, in [0, 1]. */
export async function crops(n: number, seed: number, [h, w, c]: readonly number[]): Promise<tf.Tensor> {
  const files = ['samples.jpg', 'screenshot-faceid.jpg', 'screenshot-vrm.jpg'];
  const images = await Promise.all(files.map(async (f) => decodeBytesWithJs(new Uint8Array(await readFile(join(PHOTOS, f))), f)));
  const rng = createRng(seed);
  const parts: tf.Tensor[] = [];
  for (let k = 0; k < images.length; k++) {
    const img = images[k]!;
    const count = Math.floor(n / images.length) + (k < n % images.length ? 1 : 0);
    const boxes: number[][] = [];
    for (let i = 0; i < count; i++) {
      const side = (0.15 + 0.45 * rng()) * Math.min(img.width, img.height);
      const y0 = rng() * (img.height - side);
      const x0 = rng() * (img.width - side);
      boxes.push([y0 / img.height, x0 / img.width, (y0 + side) / img.height, (x0 + side) / img.width]);
    }
    parts.push(tf.tidy(() => {
      const rgb = tf.div(tf.slice(tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, img.channels]), [0, 0, 0, 0], [1, -1, -1, 3]), 255) as tf.Tensor4D;
      const out = tf.image.cropAndResize(rgb, tf.tensor2d(boxes, [count, 4]), tf.zeros([count], 'int32'), [h!, w!]);
      return c === 1 ? tf.mean(out, -1, true) : out;
    }));
  }
  const x = tf.concat(parts);
  tf.dispose(parts);
  return x;
}
