import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import { loadMnist } from '../src/index';

/** The vendored real photos (see fixtures/photos/README.md). */
export const PHOTOS_DIR = fileURLToPath(new URL('./fixtures/photos/', import.meta.url));
export const PHOTOS = ['samples.jpg', 'screenshot-faceid.jpg', 'screenshot-vrm.jpg'];

/** A fresh temporary folder. */
export function tempDir(prefix = 'bonsai-datasets-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Encodes 8-bit pixels as a PNG (pngjs): 1 channel = gray (colour type 0), 3 = RGB, 4 = RGBA. */
export function encodePng(data: Uint8Array, width: number, height: number, channels: 1 | 3 | 4): Buffer {
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const png = new pngjs.PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: channels === 4, bitDepth: 8 });
  png.data = Buffer.from(data);
  return pngjs.PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
}

/** MNIST digits quantized to 8 bits (the values written to PNG). */
export function mnistBytes(values: Float32Array): Uint8Array {
  return Uint8Array.from(values, (v) => Math.round(v * 255));
}

/**
 * Writes the first `count` MNIST training digits as a PNG class-folder tree `<dir>/<digit>/<i>.png`
 * (gray, 28x28); returns the digits' 8-bit pixels and labels in the order written, and
 * `folderOrder`: which written digit each position of the folder listing holds (class 0 first,
 * files sorted by name within a class).
 */
export function writeMnistTree(dir: string, count: number): { pixels: Uint8Array[]; labels: number[]; files: string[]; folderOrder: number[] } {
  const { train } = loadMnist({ trainSize: count });
  const pixels: Uint8Array[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const label = train.labels[i] as number;
    const bytes = mnistBytes(train.images.subarray(i * 784, (i + 1) * 784));
    mkdirSync(join(dir, String(label)), { recursive: true });
    const file = join(dir, String(label), `${String(i).padStart(4, '0')}.png`);
    writeFileSync(file, encodePng(bytes, 28, 28, 1));
    pixels.push(bytes);
    labels.push(label);
    files.push(file);
  }
  const folderOrder = labels.map((label, i) => ({ label, i })).sort((a, b) => a.label - b.label || a.i - b.i).map((e) => e.i);
  return { pixels, labels, files, folderOrder };
}
