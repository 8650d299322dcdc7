/**
 * The kernels in Debian's headless Chromium (playwright-core, no browser download): a subset of
 * the bit-exactness cases on both builds, and a probe of Chromium's relaxed dot products against
 * exact integers. Skipped when no Chromium is installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageResult } from './browser/entry';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ORIGIN = 'http://int8-kernels.test';

describe.skipIf(!existsSync(CHROMIUM))('int8 kernels in headless Chromium', () => {
  let browser: Browser;
  let result: PageResult;

  beforeAll(async () => {
    // @bonsai/core is bundled for its error classes; lazy node:fs imports (core's save/load, reading the .wasm from disk) are left out.
    const bundle = await build({ entryPoints: [join(here, 'browser', 'entry.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'error', external: ['fs', 'fs/promises', 'path', 'node:fs/promises'] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const page = await browser.newPage();
    // A fake origin: the bundle sits at /src/, so the kernels fetch their default URLs ../dist/*.wasm from it.
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>int8 kernels</title><script type="module" src="/src/entry.js"></script>' });
      if (path === '/src/entry.js') return route.fulfill({ contentType: 'text/javascript', body: bundle.outputFiles[0]!.text });
      if (/^\/dist\/int8-(simd128|relaxed)\.wasm$/.test(path)) return route.fulfill({ contentType: 'application/wasm', body: readFileSync(join(here, '..', path)) });
      return route.fulfill({ status: 404 });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => 'runCases' in globalThis);
    result = await page.evaluate(() => (globalThis as unknown as { runCases: () => Promise<PageResult> }).runCases());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('has relaxed SIMD and computes the accumulating relaxed dot exactly (so both relaxed GEMMs run)', () => {
    expect(result.relaxed).toBe(true);
    expect(result.dotAddExact).toBe(true);
    expect(['dot-add', 'dot-i16']).toContain(result.autoGemm);
    expect(result.results.map((r) => `${r.variant} ${r.relaxedGemm ?? ''}`.trim())).toEqual(['simd128', 'relaxed dot-add', 'relaxed dot-i16']);
  });

  it('every build is bit-exact to the reference on conv2d, 1x1, dense, depthwise, batch matmul and attention cases', () => {
    for (const r of result.results) {
      expect(r.cases).toBe(16 + 12 + 12 + 10 + 6);
      expect(r.outputs).toBeGreaterThan(1000);
      expect(r.mismatches, `${r.variant} ${r.relaxedGemm}`).toEqual([]);
    }
  });
});
