/**
 * End-to-end: builds the demo with Vite, serves dist/ on localhost with COOP/COEP and drives the
 * Debian `chromium` (no browser download) through playwright-core at 1280 px and 390 px: the
 * pretrained model compressed in one click, a folder of labeled MNIST PNGs measured as accuracy
 * (checked against stock tfjs), static int8 of a Bonsai-format model on the integer WASM kernels
 * (accuracy kept) and its download loaded back, a bring-your-own
 * GraphModel (the vendored emotion model) with unlabeled photos dropped on the page, compressed and downloaded with
 * uint8 weights, which stock tfjs-converter loads; layout, chart text and accessibility checks;
 * a wasm failure with retry. Screenshots go to test-results/ (gitignored).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, toArtifacts } from '@bonsai/core';
import { loadMnist } from '@bonsai/datasets';
import { importModel } from '@bonsai/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { ISOLATION_HEADERS } from '../vite.config';
import { serveStatic } from './serve';

const root = fileURLToPath(new URL('..', import.meta.url));
const repo = join(root, '..', '..');
const outDir = join(root, 'dist');
const results = join(root, 'test-results');
const emotion = join(repo, 'packages/interop/test/fixtures/graph-model/emotion');
const photos = ['samples.jpg', 'screenshot-faceid.jpg', 'screenshot-vrm.jpg'].map((f) => join(repo, 'packages/datasets/test/fixtures/photos', f));

let server: Awaited<ReturnType<typeof serveStatic>>;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const consoleErrors: string[] = [];

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(results, `${name}.png`), fullPage: true });
}

/** Saves every download the next `action` triggers (model.json + weight files) into `dir`; returns the file names. */
async function downloadAll(p: Page, dir: string, count: number, action: () => Promise<void>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  const done = new Promise<void>((ok) => {
    const onDownload = (d: import('playwright-core').Download): void => {
      void d.saveAs(join(dir, d.suggestedFilename())).then(() => {
        names.push(d.suggestedFilename());
        if (names.length === count) {
          p.off('download', onDownload);
          ok();
        }
      });
    };
    p.on('download', onDownload);
  });
  await action();
  await done;
  return names.sort();
}

/** Waits until the number of kept runs reaches `n` (or an error alert shows up, which fails with its text). */
async function waitRuns(p: Page, n: number): Promise<void> {
  await p.waitForFunction((k) => Number(document.body.dataset.runs ?? 0) >= k || !document.getElementById('alert')!.hidden, n, { timeout: 240_000 });
  expect(await p.isHidden('#alert'), await p.textContent('#alert-text') ?? '').toBe(true);
}

/** A LayersModel `model.json` + weights file pair loaded by stock tfjs-layers. */
async function stockLayers(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
  const bin = await readFile(join(dir, json.weightsManifest[0]!.paths[0]!));
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
}

/** Top-1 accuracy (%) of a stock model on 28x28x1 pixels in [0, 1]. */
function stockAccuracy(model: tfl.LayersModel, pixels: Float32Array, labels: ArrayLike<number>): number {
  const n = labels.length;
  return tf.tidy(() => {
    const pred = tf.argMax(model.predict(tf.tensor4d(pixels, [n, 28, 28, 1])) as tf.Tensor, 1).dataSync();
    let ok = 0;
    for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
    return (100 * ok) / n;
  });
}

async function waitIdle(p: Page): Promise<void> {
  await p.waitForFunction(() => document.body.dataset.busy === 'false', undefined, { timeout: 60_000 });
}

async function compareRow(p: Page, name: RegExp): Promise<string[]> {
  const rows = await p.$$eval('#results tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  return rows.find((r) => name.test(r[0] ?? ''))!;
}

/** Layout and chart checks at the current viewport. */
async function checkLayout(p: Page): Promise<void> {
  const overflow = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(overflow.scroll, 'horizontal overflow').toBeLessThanOrEqual(overflow.width);
  const texts = await p.$$eval('svg text', (els) => els.map((t) => {
    const s = (t as SVGTextElement).ownerSVGElement!;
    const r = t.getBoundingClientRect();
    const b = s.getBoundingClientRect();
    return { text: t.textContent ?? '', px: r.height, font: Number.parseFloat(getComputedStyle(t).fontSize) * (b.width / (s.viewBox.baseVal.width || b.width)), inside: r.left >= b.left - 1 && r.right <= b.right + 1 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1, svg: s.id };
  }));
  expect(texts.length).toBeGreaterThan(20);
  for (const t of texts) {
    expect(t.font, `${t.svg} "${t.text}" font`).toBeGreaterThanOrEqual(12);
    expect(t.inside, `${t.svg} "${t.text}" clipped`).toBe(true);
  }
  // Round ticks: the y axis of every accuracy chart steps by 1, 2, 2.5 or 5 times a power of ten.
  for (const id of ['chart-accuracy', 'chart-history-size', 'chart-history-latency']) {
    const ticks = await p.$$eval(`#${id} text.y-tick`, (els) => els.map((e) => Number.parseFloat(e.textContent ?? '')));
    if (ticks.length < 2) continue;
    const step = Math.abs(ticks[1]! - ticks[0]!);
    const mant = step / 10 ** Math.floor(Math.log10(step));
    expect([1, 2, 2.5, 5].some((m) => Math.abs(m - mant) < 1e-6), `${id} ticks ${ticks.join(', ')}`).toBe(true);
    for (let i = 1; i < ticks.length; i++) expect(Math.abs(Math.abs(ticks[i]! - ticks[i - 1]!) - step)).toBeLessThan(1e-6);
  }
}

beforeAll(async () => {
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true, reportCompressedSize: false } });
  server = await serveStatic(outDir, ISOLATION_HEADERS);
  userDataDir = await mkdtemp(join(tmpdir(), 'bonsai-demo-chromium-'));
  await mkdir(results, { recursive: true });
  // A persistent context is playwright's way to pass a fresh --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1000 },
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await initBackend('wasm');
}, 300_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe('demo in headless Chromium', () => {
  it('starts on wasm SIMD with threads (COOP/COEP), loads the pretrained CNN and preselects a method', async () => {
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.model === 'pretrained' || !document.getElementById('alert')!.hidden, undefined, { timeout: 60_000 });
    expect(await page.isHidden('#alert'), await page.textContent('#alert-text') ?? '').toBe(true);
    expect(await page.textContent('#backend')).toBe('backend: wasm · SIMD: on');
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.textContent('#threads')).toBe('threads: on');
    expect(server.requests.some((p) => /tfjs-backend-wasm-threaded-simd-.*\.wasm$/.test(p))).toBe(true);
    expect(server.requests).toContain('/pretrained/mnist-cnn/model.json');
    expect(await page.$eval('#methods input:checked', (e) => (e as HTMLInputElement).value)).toBe('structured');
    expect(await page.textContent('#method-note')).toMatch(/channels/);
    expect(await page.textContent('[data-key="format"]')).toBe('tfjs LayersModel');
    const acc = Number((await page.textContent('#dense-accuracy'))!.replace('%', ''));
    expect(acc).toBeGreaterThan(95);
    // Live estimate: moving the slider changes the estimated params before anything runs.
    await page.waitForFunction(() => /Estimate: .* params/.test(document.getElementById('estimate')!.textContent ?? ''));
    const at50 = await page.textContent('#estimate');
    await page.fill('#ratio', '0.75');
    await page.waitForFunction((old) => document.getElementById('estimate')!.textContent !== old, at50);
    expect(await page.textContent('#estimate')).toMatch(/\(0\.\d\dx\)/);
    await page.fill('#ratio', '0.5');
    for (const id of ['progress-text', 'estimate', 'pad-status']) expect(await page.getAttribute(`#${id}`, 'aria-live')).toBe('polite');
    await shot(page, '1-start-1280');
  });

  it('compresses the pretrained CNN in one click with live loss, keeps the run, and uint8 download loads in stock tfjs', async () => {
    await page.click('#run');
    await page.waitForSelector('#chart-loss polyline.loss-line', { timeout: 60_000 });
    await waitRuns(page, 1);
    const after = Number((await page.textContent('#after-accuracy'))!.replace('%', ''));
    expect(after).toBeGreaterThan(80);
    expect(Number((await compareRow(page, /^params$/))[3]!.replace('x', ''))).toBeLessThan(0.8);
    expect((await compareRow(page, /^latency/))[3]).toMatch(/^\d\.\d\dx \(\d\.\d\d–\d\.\d\d\)$/);
    expect(await page.textContent('#chart-layers')).toMatch(/conv1: .*8→4 ch/);
    expect(await page.$$eval('#chart-history-size g.marker', (g) => g.length)).toBe(2);
    // int8 on a LayersModel: the stock uint8 manifest encoding.
    await page.check('#methods input[value="int8"]');
    await page.click('#run');
    await waitRuns(page, 2);
    expect(await page.$$eval('#history tbody tr', (r) => r.length)).toBe(2);
    expect(await page.textContent('#history tbody tr[aria-selected="true"]')).toMatch(/uint8 weights/);
    const dir = join(results, 'pretrained-uint8');
    expect(await downloadAll(page, dir, 2, () => page.click('#download'))).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ weights: Array<{ quantization?: { dtype: string } }> }> };
    expect(json.weightsManifest[0]!.weights.some((w) => w.quantization?.dtype === 'uint8')).toBe(true);
    // Stock tfjs-layers loads the file; its accuracy on the same 1000 test digits is what the page showed.
    const stock = await stockLayers(dir);
    const { test } = loadMnist({ seed: 42, testSize: 1000 });
    const stockAcc = stockAccuracy(stock, test.images, test.labels);
    stock.dispose();
    expect(stockAcc).toBeCloseTo(Number((await page.textContent('#after-accuracy'))!.replace('%', '')), 1);
    // Picking run 1 in the history selects it for comparison and drawing.
    await page.click('#history tbody tr[data-run="1"] button');
    expect(await page.textContent('#compare-h')).toMatch(/^Selected run #1/);
    await page.click('#sample');
    await page.waitForFunction(() => document.getElementById('pred-compressed')?.textContent !== '–', undefined, { timeout: 10_000 });
    expect(await page.textContent('#pred-compressed-name')).toBe('run #1');
    await shot(page, '2-runs-1280');
  }, 300_000);

  it('draws with the keyboard on the labelled pad', async () => {
    await page.click('#clear');
    expect(await page.getAttribute('#pad', 'aria-labelledby')).toBe('pad-label');
    await page.focus('#pad');
    await page.keyboard.press('Space');
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('pred-dense')?.textContent !== '–', undefined, { timeout: 10_000 });
    expect(await page.textContent('#pred-dense')).toMatch(/^\d$/);
    expect(await page.textContent('#pad-status')).toMatch(/pen down/);
  });

  it('measures accuracy, not agreement, on a picked folder of labeled MNIST PNGs, as stock tfjs does, and compresses on it', async () => {
    // 3 real test digits per class as PNGs in class folders 0/..9/, including the first digit of a
    // class that the shipped model gets wrong, so accuracy (labels) and agreement (100%) differ.
    const pretrained = await stockLayers(join(root, 'public/pretrained/mnist-cnn'));
    const { test } = loadMnist({ seed: 42, testSize: 1000 });
    const pred = tf.tidy(() => tf.argMax(pretrained.predict(tf.tensor4d(test.images, [1000, 28, 28, 1])) as tf.Tensor, 1).dataSync());
    const picked: number[] = [];
    for (let c = 0; c < 10; c++) {
      const mine = [...test.labels.keys()].filter((i) => test.labels[i] === c);
      const wrong = mine.filter((i) => pred[i] !== c).slice(0, 1);
      picked.push(...wrong, ...mine.filter((i) => pred[i] === c).slice(0, 3 - wrong.length));
    }
    expect(picked.some((i) => pred[i] !== test.labels[i])).toBe(true);
    const folder = join(await mkdtemp(join(tmpdir(), 'bonsai-demo-digits-')), 'digits');
    const pngs: string[] = [];
    for (const i of picked) {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++) {
        const v = Math.round(test.images[i * 784 + p]! * 255);
        png.data.set([v, v, v, 255], p * 4);
      }
      const file = join(folder, String(test.labels[i]), `${i}.png`);
      await mkdir(join(folder, String(test.labels[i])), { recursive: true });
      await writeFile(file, PNG.sync.write(png, { colorType: 0 }));
      pngs.push(file);
    }
    // The oracle: the PNGs decoded by pngjs, divided by 255 (the page's "[0, 1]"), through stock tfjs-layers.
    const pixels = new Float32Array(pngs.length * 784);
    pngs.forEach((f, k) => {
      const { data } = PNG.sync.read(readFileSync(f));
      for (let p = 0; p < 784; p++) pixels[k * 784 + p] = data[p * 4]! / 255;
    });
    const expected = stockAccuracy(pretrained, pixels, picked.map((i) => test.labels[i]!));
    pretrained.dispose();
    expect(expected).toBeLessThan(100);
    expect(await page.getAttribute('body', 'data-model')).toBe('pretrained');
    await page.setInputFiles('#image-folder', folder);
    await page.waitForFunction(() => /30 images at 28x28x1/.test(document.getElementById('data-summary')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await waitIdle(page);
    expect(await page.isHidden('#alert'), await page.textContent('#alert-text') ?? '').toBe(true);
    expect(await page.textContent('#data-summary')).toMatch(/10 class folders as labels: accuracy/);
    expect(await compareRow(page, /agreement/)).toBeUndefined();
    expect(Number((await compareRow(page, /^test accuracy/))[1]!.replace('%', ''))).toBeCloseTo(expected, 1);
    await page.check('#methods input[value="structured"]');
    await page.fill('#ratio', '0.25');
    await page.click('#run');
    await waitRuns(page, 3);
    expect(await page.textContent('#history tbody tr[aria-selected="true"]')).not.toMatch(/agr\./);
    // The run's accuracy is that of its download, read by stock tfjs, on the same PNGs.
    const dir = join(results, 'digits-structured');
    expect(await downloadAll(page, dir, 2, () => page.click('#download'))).toEqual(['model.json', 'weights.bin']);
    const run = await stockLayers(dir);
    expect(stockAccuracy(run, pixels, picked.map((i) => test.labels[i]!))).toBeCloseTo(Number((await page.textContent('#after-accuracy'))!.replace('%', '')), 1);
    run.dispose();
    await page.fill('#ratio', '0.5');
    await rm(join(folder, '..'), { recursive: true, force: true });
  }, 300_000);

  it('static int8 of a Bonsai-format model: calibrated on the page\'s images, int8 layers on the integer WASM kernels, accuracy kept; the download loads back (weights.q.bin)', async () => {
    // The shipped CNN in Bonsai's own format (imported in Node), so the int8 method runs (a stock file gets uint8 weights).
    const dir = join(results, 'bonsai-model');
    await mkdir(dir, { recursive: true });
    const src = join(root, 'public/pretrained/mnist-cnn');
    const stockJson = JSON.parse(await readFile(join(src, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    const stockBin = await readFile(join(src, stockJson.weightsManifest[0]!.paths[0]!));
    const model = await importModel({ modelJson: stockJson, weights: stockBin.buffer.slice(stockBin.byteOffset, stockBin.byteOffset + stockBin.byteLength) });
    const layers = model.graph.nodes.filter((n) => n.op === 'conv2d' || n.op === 'dense').length;
    const art = await toArtifacts(model);
    model.dispose();
    await writeFile(join(dir, 'model.json'), JSON.stringify(art.json));
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(art.weights));
    await page.setInputFiles('#model-files', [join(dir, 'model.json'), join(dir, 'weights.bin')]);
    await page.waitForFunction(() => document.body.dataset.model === 'loaded', undefined, { timeout: 30_000 });
    await waitIdle(page);
    expect(await page.textContent('[data-key="format"]')).toBe('Bonsai model');
    const dense = Number((await page.textContent('#dense-accuracy'))!.replace('%', ''));
    expect(dense).toBeGreaterThan(95);
    await page.check('#methods input[value="int8"]');
    expect(await page.textContent('#method-note')).toMatch(/calibrated on 256 of your training images/);
    const wasmBefore = server.requests.filter((r) => /int8-(relaxed|simd128).*\.wasm$/.test(r)).length;
    await page.click('#run');
    await waitRuns(page, 4);
    // Chromium has WASM SIMD: every conv and dense layer runs on the integer kernels, loaded from the bundle.
    const detail = /· (\d+) of (\d+) layers on the int8 WASM kernels/.exec((await page.textContent('#progress-text')) ?? '');
    expect(detail, (await page.textContent('#progress-text')) ?? '').not.toBeNull();
    expect(Number(detail![1])).toBe(layers);
    expect(server.requests.filter((r) => /int8-(relaxed|simd128).*\.wasm$/.test(r)).length).toBeGreaterThan(wasmBefore);
    const after = Number((await page.textContent('#after-accuracy'))!.replace('%', ''));
    expect(after).toBeGreaterThan(dense - 1.5);
    const q = join(results, 'bonsai-int8');
    expect(await downloadAll(page, q, 3, () => page.click('#download'))).toEqual(['model.json', 'weights.bin', 'weights.q.bin']);
    const qJson = JSON.parse(await readFile(join(q, 'model.json'), 'utf8')) as { quantization: { mode: string; activations: unknown[] } };
    expect(qJson.quantization.mode).toBe('static');
    expect(qJson.quantization.activations.length).toBeGreaterThan(0);
    await page.setInputFiles('#model-files', ['model.json', 'weights.bin', 'weights.q.bin'].map((f) => join(q, f)));
    await page.waitForFunction(() => /int8/.test(document.querySelector('[data-key="format"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await waitIdle(page);
    expect(await page.textContent('[data-key="format"]')).toBe('Bonsai model, weights stored as int8 (Bonsai, per channel)');
    expect(await page.isHidden('#alert')).toBe(true);
    // The reloaded int8 model runs on the kernels again and measures what the run measured (same integers, same kernels).
    expect(Number((await page.textContent('#dense-accuracy'))!.replace('%', ''))).toBe(after);
    const history = await page.$$eval('#history tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(history.length).toBe(4);
  }, 300_000);

  it('brings a real GraphModel and unlabeled photos: inspect, compress with KD, uint8 download runs in stock tfjs-converter', async () => {
    await page.setInputFiles('#model-files', [join(emotion, 'model.json'), join(emotion, 'emotion.bin')]);
    await page.waitForFunction(() => document.querySelector('[data-key="format"]')?.textContent === 'tfjs GraphModel', undefined, { timeout: 30_000 });
    await waitIdle(page);
    expect(await page.textContent('[data-key="input"]')).toBe('[64, 64, 1]');
    expect(await page.textContent('[data-key="output"]')).toBe('[7]');
    expect(await page.textContent('[data-key="ops"]')).toMatch(/conv2d ×\d+/);
    expect(await page.isDisabled('#methods input[value="slimming"]')).toBe(true);
    expect(await page.isDisabled('#methods input[value="kd"]')).toBe(true);
    expect(await page.textContent('#draw-note')).toMatch(/28x28x1/);
    // Dropped on the images zone: a synthetic drop with a DataTransfer of files (a folder cannot be
    // synthesized; its entries walk is the same path as the folder picker's relative paths).
    const dropped = await Promise.all(photos.map(async (f) => ({ name: basename(f), base64: (await readFile(f)).toString('base64') })));
    await page.evaluate((files) => {
      const transfer = new DataTransfer();
      for (const f of files) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (ch) => ch.charCodeAt(0))], f.name, { type: 'image/jpeg' }));
      document.getElementById('image-drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, dropped);
    await page.waitForFunction(() => /3 images at 64x64x1/.test(document.getElementById('data-summary')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await waitIdle(page);
    expect(await page.textContent('#data-summary')).toMatch(/agreement/);
    expect(await page.isChecked('#kd')).toBe(true);
    expect((await compareRow(page, /agreement/))[1]).toBe('100.00%');
    await page.check('#methods input[value="structured"]');
    await page.fill('#ratio', '0.3');
    await page.selectOption('#quant', 'uint8');
    await page.click('#run');
    await waitRuns(page, 5);
    expect(await page.textContent('#history tbody tr[aria-selected="true"]')).toMatch(/emotion.*Structured \(channels\) 30% \+ uint8 \+ KD/);
    expect(Number((await compareRow(page, /^params$/))[3]!.replace('x', ''))).toBeLessThan(0.8);
    // Unlabeled: the rest of @bonsai/eval's agreement is shown (7 classes, so top-5), consistent with top-1.
    const top1 = Number((await compareRow(page, /top-1 agreement/))[2]!.replace('%', ''));
    const top5 = Number((await compareRow(page, /^top-5 agreement$/))[2]!.replace('%', ''));
    expect(top5).toBeGreaterThanOrEqual(top1);
    expect(Number((await compareRow(page, /^mean KL/))[2])).toBeGreaterThan(0);
    expect(Number((await compareRow(page, /^max \|Δ\|/))[2])).toBeGreaterThan(0);
    const dir = join(results, 'emotion-uint8');
    const names = await downloadAll(page, dir, 2, () => page.click('#download'));
    expect(names).toContain('model.json');
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { format: string; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>; modelTopology: object };
    expect(json.format).toBe('graph-model');
    const bin = await readFile(join(dir, json.weightsManifest[0]!.paths[0]!));
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const stock = await tfconv.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData }));
    const bonsai = await importModel({ modelJson: json, weights: weightData });
    const [dStock, dBonsai] = tf.tidy(() => {
      const x = tf.randomUniform([2, 64, 64, 1], 0, 1, 'float32', 5);
      const a = stock.predict(x) as tf.Tensor;
      const b = bonsai.predict(x);
      return [a.shape.join(), tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!] as const;
    });
    stock.dispose();
    bonsai.dispose();
    expect(dStock).toBe('2,7');
    expect(dBonsai).toBeLessThan(1e-4);
    await shot(page, '3-byo-emotion-1280');
    await checkLayout(page);
  }, 300_000);

  it('fits a 390 px phone: no horizontal scroll, chart text >= 12 px and unclipped', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('#history tbody tr[data-run="1"] button');
    await page.waitForTimeout(300);
    await checkLayout(page);
    await shot(page, '4-phone-390');
    expect(consoleErrors).toEqual([]);
  });

  it('shows a wasm load failure as an alert with a working retry', async () => {
    const p = await context.newPage();
    await p.setViewportSize({ width: 390, height: 844 });
    await p.route(/\.wasm$/, (r) => r.fulfill({ status: 404, body: 'missing' }));
    await p.goto(server.url);
    await p.waitForSelector('#alert:not([hidden])', { timeout: 60_000 });
    expect(await p.getAttribute('#alert', 'role')).toBe('alert');
    expect(await p.textContent('#alert-text')).toMatch(/WebAssembly backend could not start/);
    await shot(p, '5-wasm-failure-390');
    await p.unroute(/\.wasm$/);
    await p.click('#retry');
    await p.waitForFunction(() => document.body.dataset.model === 'pretrained', undefined, { timeout: 60_000 });
    expect(await p.textContent('#backend')).toBe('backend: wasm · SIMD: on');
    expect(await p.isHidden('#alert')).toBe(true);
    await p.close();
  });
});
