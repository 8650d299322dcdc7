/** Folders of real photos for tests and benches: seeded crops of the JPEGs vendored in @bonsai/datasets. */
import { createRng } from '@bonsai/core';
import { decodeWithJs } from '@bonsai/datasets';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';

/** The real photos vendored in @bonsai/datasets (3 JPEGs from `@vladmandic/human`'s assets, MIT). */
export const PHOTOS_DIR = fileURLToPath(new URL('../../../packages/datasets/test/fixtures/photos/', import.meta.url));

/**
 * Writes `count` PNGs of `size` x `size` RGB pixels into `dir` (created): crop `i` is a seeded
 * random square of 40-100% of the short side of photo `i % 3`, mirrored with probability 1/2,
 * sampled bilinearly. Real photo content, different pixels per file. Returns the file paths.
 */
export async function writePhotoCrops(dir: string, count: number, options: { size?: number; seed?: number } = {}): Promise<string[]> {
  const size = options.size ?? 256;
  const rng = createRng(options.seed ?? 1);
  const photos = await Promise.all(readdirSync(PHOTOS_DIR).filter((f) => f.endsWith('.jpg')).sort().map((f) => decodeWithJs(join(PHOTOS_DIR, f))));
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = photos[i % photos.length]!;
    const side = Math.floor(Math.min(p.width, p.height) * (0.4 + 0.6 * rng()));
    const x0 = Math.floor(rng() * (p.width - side + 1));
    const y0 = Math.floor(rng() * (p.height - side + 1));
    const mirror = rng() < 0.5;
    const png = new pngjs.PNG({ width: size, height: size, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    const out = Buffer.alloc(size * size * 3);
    const at = (x: number, y: number, c: number): number => p.data[(y * p.width + x) * p.channels + Math.min(c, p.channels - 1)]!;
    for (let y = 0; y < size; y++) {
      const sy = Math.min(p.height - 1.001, y0 + ((y + 0.5) * side) / size - 0.5);
      const iy = Math.max(0, Math.floor(sy));
      const fy = Math.max(0, sy - iy);
      for (let x = 0; x < size; x++) {
        const u = mirror ? size - 1 - x : x;
        const sx = Math.min(p.width - 1.001, x0 + ((u + 0.5) * side) / size - 0.5);
        const ix = Math.max(0, Math.floor(sx));
        const fx = Math.max(0, sx - ix);
        for (let c = 0; c < 3; c++) {
          const top = at(ix, iy, c) * (1 - fx) + at(ix + 1, iy, c) * fx;
          const bottom = at(ix, iy + 1, c) * (1 - fx) + at(ix + 1, iy + 1, c) * fx;
          out[(y * size + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
        }
      }
    }
    png.data = out;
    const file = join(dir, `crop-${String(i).padStart(5, '0')}.png`);
    writeFileSync(file, pngjs.PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
    files.push(file);
  }
  return files;
}
