/**
 * The browser entry (`imageFiles` over `File`s, decoded by createImageBitmap + OffscreenCanvas)
 * in Debian's headless Chromium through playwright-core (no browser download), checked against
 * Node's `imageFolder` on the same files: PNGs must give the same values, JPEGs (Chromium's
 * libjpeg-turbo vs jpeg-js) nearly the same. Skipped when no Chromium is installed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@bonsai/core';
import { imageFolder } from '../src/index';
import type { PageResult } from './browser-page/entry';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PHOTO = join(here, 'fixtures', 'photos', 'screenshot-vrm.jpg');

/** An RGB PNG of seeded pixels (pngjs). */
function png(width: number, height: number, seed: number): Buffer {
  const p = new pngjs.PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  p.data = Buffer.from(Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 31 + seed * 17 + ((i * i) % 7)) % 256));
  return pngjs.PNG.sync.write(p, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

describe.skipIf(!existsSync(CHROMIUM))('browser entry in headless Chromium (imageFiles over File objects)', () => {
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'bonsai-datasets-chromium-'));
  const files: Record<string, Buffer> = {
    'pets/cat/a.png': png(20, 12, 1),
    'pets/cat/b.png': png(9, 9, 2),
    'pets/dog/c.png': png(16, 16, 3),
    'pets/dog/photo.jpg': readFileSync(PHOTO),
  };

  beforeAll(async () => {
    await initBackend('wasm');
    for (const [path, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    }
    // core imports node:fs lazily (save/load only), never on this path: left out of the bundle
    const bundle = await build({ entryPoints: [join(here, 'browser-page', 'entry.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'error', external: ['fs', 'fs/promises', 'path'] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    page = await browser.newPage();
    await page.setContent('<!doctype html><title>datasets</title>');
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  const inPage = (picked: Record<string, Buffer>): Promise<PageResult> =>
    page.evaluate(
      ([list, size]) => (globalThis as unknown as { readFiles: (p: unknown, s: unknown) => Promise<PageResult> }).readFiles(list, size),
      [Object.entries(picked).map(([path, b]) => ({ path, base64: b.toString('base64') })), [8, 8]] as const,
    );

  it('lists, labels, decodes and resizes like Node\'s imageFolder: PNGs equal, a real JPEG within a few levels', async () => {
    const got = await inPage(files);
    expect(got.error).toBeUndefined();
    const node = await imageFolder(join(dir, 'pets'), { size: [8, 8], channels: 3, preprocess: '[0,1]', decoder: 'js' });
    expect(got.classes).toEqual(['cat', 'dog']);
    expect(got.names).toEqual(node.names().map((n) => relative(join(dir, 'pets'), n)));
    expect(got.labels).toEqual(Array.from(node.labels()!));
    expect(got.shape).toEqual([4, 8, 8, 3]);
    const want: number[] = [];
    for await (const b of node.batches({ batchSize: 4 })) {
      want.push(...(await b.x.data()));
      b.x.dispose();
      b.y?.dispose();
    }
    const per = 8 * 8 * 3;
    const jpeg = got.names!.indexOf('dog/photo.jpg');
    for (let s = 0; s < 4; s++) {
      const diffs = got.values!.slice(s * per, (s + 1) * per).map((v, i) => Math.abs(v - want[s * per + i]!));
      const max = Math.max(...diffs);
      if (s === jpeg) {
        // different JPEG decoders (IDCT, chroma upsampling): close, not equal
        expect(max).toBeLessThan(0.1);
        expect(diffs.reduce((a, b) => a + b, 0) / per).toBeLessThan(0.01);
      } else expect(max, got.names![s]).toBeLessThan(1e-6);
    }
  });

  it('a corrupt file is a DatasetError (a BonsaiError) naming it', async () => {
    const got = await inPage({ 'x/ok.png': png(4, 4, 5), 'x/broken.png': Buffer.from('not a png at all') });
    expect(got.error).toMatchObject({ bonsai: true });
    expect(got.error!.message).toContain('broken.png');
  });
});
