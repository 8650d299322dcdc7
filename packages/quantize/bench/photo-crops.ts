/**
 * Seeded crops of real photos: by default the three vendored in @bonsai/datasets' test fixtures
 * (`samples.jpg`, `screenshot-faceid.jpg`, `screenshot-vrm.jpg`, MIT, from @vladmandic/human), the
 * unlabeled image data of the quantize real-model benches and the budget bench; `MORE_PHOTOS` adds
 * the ones in bench/fixtures/photos (README there).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@bonsai/core';
import { decodeBytesWithJs } from '@bonsai/datasets';

const HERE = dirname(fileURLToPath(import.meta.url));
const PHOTOS = join(HERE, '../../datasets/test/fixtures/photos');

/** The three photos of @bonsai/datasets' fixtures (paths). */
export const DATASET_PHOTOS = ['samples.jpg', 'screenshot-faceid.jpg', 'screenshot-vrm.jpg'].map((f) => join(PHOTOS, f));
/** More real photos vendored in bench/fixtures/photos (two @vladmandic/human screenshots of photos, baboon-image-uri's mandrill). */
export const MORE_PHOTOS = ['screenshot-facedetect.jpg', 'screenshot-facematch.jpg', 'baboon.png'].map((f) => join(HERE, 'fixtures/photos', f));

/** Options of {@link crops}. */
export interface CropOptions {
  /** Image files (default {@link DATASET_PHOTOS}); crops are spread evenly over them. */
  photos?: readonly string[];
  /** Mirror each crop left-right with probability 1/2 (seeded). Default false. */
  flips?: boolean;
}

/** `n` seeded square crops (side 15-60% of the shorter edge) of the photos, resized to [h, w], gray when c = 1, in [0, 1]. */
export async function crops(n: number, seed: number, [h, w, c]: readonly number[], { photos = DATASET_PHOTOS, flips = false }: CropOptions = {}): Promise<tf.Tensor> {
  const images = await Promise.all(photos.map(async (f) => decodeBytesWithJs(new Uint8Array(await readFile(f)), f)));
  const rng = createRng(seed);
  const parts: tf.Tensor[] = [];
  for (let k = 0; k < images.length; k++) {
    const img = images[k]!;
    const count = Math.floor(n / images.length) + (k < n % images.length ? 1 : 0);
    if (count === 0) continue;
    const boxes: number[][] = [];
    for (let i = 0; i < count; i++) {
      const side = (0.15 + 0.45 * rng()) * Math.min(img.width, img.height);
      const y0 = rng() * (img.height - side);
      const x0 = rng() * (img.width - side);
      const [l, r] = [x0 / img.width, (x0 + side) / img.width];
      // A box with x1 > x2 is cropped mirrored (tf.image.cropAndResize).
      const mirror = flips && rng() < 0.5;
      boxes.push([y0 / img.height, mirror ? r : l, (y0 + side) / img.height, mirror ? l : r]);
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
