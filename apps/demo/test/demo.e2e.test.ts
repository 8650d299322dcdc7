/**
 * End-to-end: builds the demo with Vite, serves dist/ on localhost and drives the Debian
 * `chromium` (no browser download) through playwright-core: train, structured prune at 50%,
 * check the shown accuracy and charts, predict a test digit, download the model.
 */
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { serveStatic } from './serve';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist');
const results = join(root, 'test-results');

let server: Awaited<ReturnType<typeof serveStatic>>;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true, reportCompressedSize: false } });
  server = await serveStatic(outDir);
  userDataDir = await mkdtemp(join(tmpdir(), 'bonsai-demo-chromium-'));
  // A persistent context is playwright's way to pass a fresh --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1400 },
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe('demo in headless Chromium', () => {
  it('starts the wasm backend with SIMD, loads the bundled .wasm and MNIST assets', async () => {
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('backend')?.dataset.backend !== undefined, undefined, { timeout: 30_000 });
    const badge = await page.textContent('#backend');
    expect(badge).toBe('backend: wasm · SIMD: on · threads: off');
    expect(server.requests.some((p) => /tfjs-backend-wasm-simd-.*\.wasm$/.test(p))).toBe(true);
    expect(server.requests).toContain('/mnist-train.bin');
    expect(await page.textContent('#progress-text')).toMatch(/^ready: 4000 training and 1000 test digits loaded$/);
    const disabled = await page.$$eval('#methods input:disabled', (els) => els.map((e) => (e as HTMLInputElement).value));
    const enabled = await page.$$eval('#methods input:not(:disabled)', (els) => els.map((e) => (e as HTMLInputElement).value));
    expect([...disabled, ...enabled].sort()).toEqual(['gradual', 'int8', 'kd', 'slimming', 'structured', 'unstructured']);
    expect(disabled).toEqual([]);
  });

  it('trains the CNN in the worker and shows its measured accuracy', async () => {
    await page.selectOption('#train-size', '3000');
    await page.selectOption('#epochs', '1');
    await page.click('#train');
    await page.waitForSelector('#dense-accuracy', { timeout: 60_000 });
    const acc = Number((await page.textContent('#dense-accuracy'))!.replace('%', ''));
    expect(acc).toBeGreaterThan(80);
    expect(acc).toBeLessThanOrEqual(100);
    expect(await page.textContent('#dense-summary')).toMatch(/^Trained: test accuracy \d+\.\d\d%/);
  });

  it('runs a structured prune at 50% and shows accuracy and charts', async () => {
    await page.check('#methods input[value="structured"]');
    await page.fill('#ratio', '0.5');
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.compressed === 'structured', undefined, { timeout: 60_000 });
    const after = (await page.textContent('#after-accuracy'))!;
    expect(after).toMatch(/^\d+\.\d\d%$/);
    expect(Number(after.replace('%', ''))).toBeGreaterThan(50);
    // Structured pruning removes channels: fewer params, and the per-layer chart says so.
    const paramsRow = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const ratioOf = (name: string): number => Number(paramsRow.find((r) => r[0] === name)![3]!.replace('x', ''));
    expect(ratioOf('params')).toBeLessThan(0.8);
    expect(ratioOf('download size')).toBeLessThan(0.8);
    const layerText = await page.textContent('#chart-layers');
    expect(layerText).toMatch(/conv1.*8→4 ch/);
    // Accuracy-vs-sparsity chart: the dense point, the 5-point sweep plus its dense start, and this run.
    expect(await page.$$eval('#chart-accuracy circle.point', (c) => c.length)).toBe(1 + 6 + 1);
    expect(await page.$$eval('#chart-size rect.bar-after', (r) => r.length)).toBeGreaterThanOrEqual(4);
    expect(await page.textContent('#progress-text')).toMatch(/^done in \d+\.\d s/);
  });

  it('predicts a test digit with the dense and the compressed model and downloads model.json', async () => {
    await page.click('#sample');
    await page.waitForFunction(() => document.getElementById('pred-compressed')?.textContent !== '–', undefined, { timeout: 10_000 });
    const label = (await page.textContent('#sample-label'))!.match(/label (\d)/)![1];
    expect(await page.textContent('#pred-dense')).toBe(label);
    expect(await page.textContent('#pred-compressed')).toMatch(/^\d$/);
    // Draw a vertical stroke on the pad: it is downsampled to 28x28 and both models predict it.
    await page.click('#clear');
    expect(await page.textContent('#pred-dense')).toBe('–');
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.2 + 0.06 * i));
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('pred-dense')?.textContent !== '–', undefined, { timeout: 10_000 });
    expect(await page.textContent('#pred-dense')).toMatch(/^\d$/);
    expect(await page.textContent('#pred-compressed')).toMatch(/^\d$/);
    const ink = await page.$eval('#preview', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if ((d[i] ?? 0) > 127) n++;
      return n;
    });
    expect(ink).toBeGreaterThan(10);
    const download = page.waitForEvent('download', { predicate: (d) => d.suggestedFilename() === 'model.json' });
    await page.click('#download');
    const file = join(results, 'model.json');
    await mkdir(results, { recursive: true });
    await (await download).saveAs(file);
    const json = JSON.parse(await (await import('node:fs/promises')).readFile(file, 'utf8')) as { format: string; graph: { nodes: Array<{ id: string; attrs: Record<string, unknown> }> } };
    expect(json.format).toBe('bonsai-model');
    await page.screenshot({ path: join(results, 'demo.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
