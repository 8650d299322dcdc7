import * as tf from '@tensorflow/tfjs-core';

/** Magic of the packed MNIST asset ("BMN1"), see plugins/mnist-asset.ts. */
const MAGIC = 0x314e4d42;

/** Digits as typed arrays: pixels in [0, 1], 784 per digit. */
export interface Digits {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Parses a packed asset (`[magic][count][labels][pixels]`). */
export function parseDigits(buf: ArrayBuffer): Digits {
  const view = new DataView(buf);
  if (buf.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new Error('MNIST asset: bad magic (not a packed MNIST file)');
  const count = view.getUint32(4, true);
  if (buf.byteLength !== 8 + count * 785) throw new Error(`MNIST asset: ${buf.byteLength} bytes, expected ${8 + count * 785} for ${count} digits`);
  const labels = new Uint8Array(buf, 8, count).slice();
  const bytes = new Uint8Array(buf, 8 + count);
  const images = new Float32Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = (bytes[i] ?? 0) / 255;
  return { images, labels, count };
}

/** Fetches and parses one packed split. */
export async function fetchDigits(url: string): Promise<Digits> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`MNIST asset ${url}: HTTP ${res.status}`);
  return parseDigits(await res.arrayBuffer());
}

/** The first `n` digits as tensors: x `[n, 28, 28, 1]`, one-hot y `[n, 10]`. */
export function toTensors(d: Digits, n = d.count): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const count = Math.min(n, d.count);
  return tf.tidy(() => ({
    x: tf.tensor4d(d.images.subarray(0, count * 784), [count, 28, 28, 1]),
    y: tf.oneHot(tf.tensor1d(d.labels.subarray(0, count), 'int32'), 10) as tf.Tensor2D,
  }));
}
