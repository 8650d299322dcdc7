import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { centreCrop, DatasetError, IMAGENET_MEAN, IMAGENET_STD, resolvePreprocess, writePixels, type PixelPlan, type RawImage } from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A deterministic RGB test image with varied values. */
function image(width: number, height: number, channels = 3): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + ((i / channels) | 0) * 11) % 256;
  return { data, width, height, channels };
}

function plan(p: Partial<PixelPlan>): PixelPlan {
  const channels = p.channels ?? 3;
  return { cropToAspectRatio: false, convertChannels: true, channels, norm: resolvePreprocess('[0,255]', channels), ...p };
}

function run(img: RawImage, p: PixelPlan, expected?: [number, number]): Float32Array {
  const [h, w] = p.size ?? expected ?? [img.height, img.width];
  const out = new Float32Array(h * w * p.channels + 2);
  out[0] = -7; // writing starts at the offset
  writePixels(img, p, out, 1, 'img.png', expected);
  expect(out[0]).toBe(-7);
  expect(out[out.length - 1]).toBe(0);
  return out.subarray(1, out.length - 1);
}

/** Oracle: stock tfjs (cpu backend) resizeBilinear with half-pixel centres, after an optional slice. */
function tfResize(img: RawImage, size: [number, number], box?: { top: number; left: number; h: number; w: number }): Float32Array {
  return tf.tidy(() => {
    let t: tf.Tensor3D = tf.tensor3d(Float32Array.from(img.data), [img.height, img.width, img.channels]);
    if (box) t = tf.slice(t, [box.top, box.left, 0], [box.h, box.w, img.channels]);
    return tf.image.resizeBilinear(t, size, false, true).dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('preprocess presets', () => {
  it('map 8-bit values as the training recipes do (hand computation)', () => {
    const apply = (preset: Parameters<typeof resolvePreprocess>[0], p: number, c: number, channels = 3): number => {
      const n = resolvePreprocess(preset, channels);
      return p * (n.mul[c] as number) + (n.add[c] as number);
    };
    expect(apply('[0,1]', 255, 0)).toBeCloseTo(1, 12);
    expect(apply('[0,1]', 51, 2)).toBeCloseTo(0.2, 12);
    expect(apply('[-1,1]', 0, 1)).toBeCloseTo(-1, 12);
    expect(apply('[-1,1]', 255, 1)).toBeCloseTo(1, 12);
    expect(apply('[0,255]', 200, 0)).toBe(200);
    for (let c = 0; c < 3; c++) {
      expect(apply('imagenet', 128, c)).toBeCloseTo((128 / 255 - (IMAGENET_MEAN[c] as number)) / (IMAGENET_STD[c] as number), 12);
    }
    expect(apply({ scale: 1, mean: [10, 20], std: 2 }, 30, 1, 2)).toBe(5);
  });

  it('rejects unknown presets, wrong per-channel lengths and zero std', () => {
    expect(() => resolvePreprocess('imagenet', 1)).toThrow(/3 mean values for 1-channel/);
    expect(() => resolvePreprocess('[0,2]' as never, 3)).toThrow(DatasetError);
    expect(() => resolvePreprocess({ std: 0 }, 1)).toThrow(/std\[0\]/);
  });
});

describe('writePixels', () => {
  it('copies pixels exactly when no resize is asked', () => {
    const img = image(5, 4);
    const out = run(img, plan({}), [4, 5]);
    expect(Array.from(out)).toEqual(Array.from(img.data));
  });

  it('resizes like tf.image.resizeBilinear (half-pixel centres), down and up', () => {
    const img = image(37, 29);
    for (const size of [[11, 16], [64, 50], [29, 37]] as [number, number][]) {
      expect(maxAbsDiff(run(img, plan({ size })), tfResize(img, size))).toBeLessThan(1e-3);
    }
  });

  it('matches a hand-computed bilinear value', () => {
    // 2x2 gray -> 4x4: output (1, 2) samples source (0.25, 0.75): rows 0/1 weight 0.75/0.25, cols 0/1 weight 0.25/0.75.
    const img: RawImage = { data: Uint8Array.of(0, 100, 200, 40), width: 2, height: 2, channels: 1 };
    const out = run(img, plan({ size: [4, 4], channels: 1 }));
    const top = 0 + (100 - 0) * 0.75;
    const bottom = 200 + (40 - 200) * 0.75;
    expect(out[1 * 4 + 2]).toBeCloseTo(top + (bottom - top) * 0.25, 5);
    expect(out[0]).toBe(0); // corners clamp to the source corners
    expect(out[15]).toBe(40);
  });

  it('centre-crops to the target aspect ratio like Keras smart_resize, then resizes', () => {
    const img = image(40, 20);
    const box = centreCrop(20, 40, 10, 10);
    expect(box).toEqual({ top: 0, left: 10, h: 20, w: 20 });
    expect(maxAbsDiff(run(img, plan({ size: [10, 10], cropToAspectRatio: true })), tfResize(img, [10, 10], box))).toBeLessThan(1e-3);
  });

  it('converts RGB to gray (ITU-R 601 luma), gray to RGB, and drops alpha', () => {
    const rgb: RawImage = { data: Uint8Array.of(255, 0, 0, 10, 20, 30), width: 2, height: 1, channels: 3 };
    const gray = run(rgb, plan({ channels: 1 }), [1, 2]);
    expect(gray[0]).toBeCloseTo(0.299 * 255, 4);
    expect(gray[1]).toBeCloseTo(0.299 * 10 + 0.587 * 20 + 0.114 * 30, 4);
    const g: RawImage = { data: Uint8Array.of(7, 9), width: 2, height: 1, channels: 1 };
    expect(Array.from(run(g, plan({}), [1, 2]))).toEqual([7, 7, 7, 9, 9, 9]);
    const rgba: RawImage = { data: Uint8Array.of(1, 2, 3, 255, 4, 5, 6, 0), width: 2, height: 1, channels: 4 };
    expect(Array.from(run(rgba, plan({}), [1, 2]))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names the file on a size or channel mismatch', () => {
    const img = image(5, 4);
    expect(() => run(img, plan({}), [4, 6])).toThrow(/img\.png: image is 4x5 \(HxW\), other images are 4x6: pass size/);
    expect(() => run(img, plan({ channels: 1, convertChannels: false }), [4, 5])).toThrow(/img\.png: image has 3 channel\(s\), the dataset has 1/);
    expect(() => run(img, plan({ channels: 1, convertChannels: false }), [4, 5])).toThrow(DatasetError);
  });
});
