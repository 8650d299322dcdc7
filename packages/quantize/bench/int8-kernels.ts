/**
 * int8 kernels vs float, side by side (bench-results/int8-kernels.json): for a small CNN,
 * ResNet-20 and a MobileNet-style net at batch 1 and 32, interleaved round by round:
 * float (tfjs wasm, XNNPACK), int8 simulated (QuantizedModel's fake-quant float path) and int8
 * on @bonsai/int8-kernels (bench/int8-measure.ts). Three places:
 * - Node, SIMD128 build, in this process (CPU time and wall time);
 * - Node, relaxed build, in a child Node process started with --experimental-wasm-relaxed-simd;
 * - headless Chromium (Debian's, through playwright-core), SIMD128 and relaxed SIMD with each of
 *   its two GEMMs (wall time; the page is single-threaded, as is tfjs wasm without isolation).
 * A full GC runs before every timed call (Node: --expose-gc set at run time; Chromium: --js-flags).
 * Speed does not depend on training: models are seeded, BN statistics randomized, calibration
 * on random inputs. Also reports how often the kernels' exact integer result differs from the
 * simulation's float-rounded one (top-1 agreement, max |diff| in output grid steps).
 * Smoke: small CNN only, batch 1, 3 rounds, Node only. INT8_BENCH_PLACES=node or =chromium runs one place;
 * INT8_BENCH_MODELS=ViT,MobileNet keeps the models whose names contain one of the parts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules, createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { initBackend } from '@bonsai/core';
import { loadInt8Kernels, type KernelVariant } from '@bonsai/int8-kernels';
import { createReport, isSmoke, ms, pick, ratio } from '@bonsai/bench-harness';
import { int8BenchSpecs, measureInt8, type Int8BenchRow } from './int8-measure';
import type { PageParams } from './int8-chromium-page';

const CHILD = process.env.BONSAI_INT8_BENCH_CHILD as KernelVariant | undefined;
const RUNS = Number(process.env.BENCH_RUNS ?? pick(9, 3));
const BATCHES = pick([1, 32], [1]);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PLACES = (process.env.INT8_BENCH_PLACES ?? 'node,chromium').split(',');
const MODELS = process.env.INT8_BENCH_MODELS;
const here = dirname(fileURLToPath(import.meta.url));
// A full GC before every timed call: the simulated model leaves much garbage behind.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function inNode(variant: KernelVariant): Promise<Int8BenchRow[]> {
  await initBackend('wasm');
  const kernels = await loadInt8Kernels({ variant });
  return measureInt8({ kernels, specs: int8BenchSpecs(isSmoke(), MODELS), batches: BATCHES, runs: RUNS, clocks: { cpu: cpuMs, wall: () => performance.now() }, gc, log: console.log });
}

/** Bundles bench/int8-chromium-page.ts and runs it in headless Chromium on a fake origin. */
async function inChromium(): Promise<{ rows: Int8BenchRow[]; userAgent: string }> {
  const { build } = await import('esbuild');
  const { chromium } = await import('playwright-core');
  const require = createRequire(import.meta.url);
  const tfjsWasm = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const kernelsDist = join(dirname(require.resolve('@bonsai/int8-kernels')), '.');
  // Node built-ins (imported by code the page never calls: save/load, the harness's machine info) become empty modules.
  const bundle = await build({
    entryPoints: [join(here, 'int8-chromium-page.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'error',
    plugins: [{ name: 'no-node', setup(b) {
      b.onResolve({ filter: /^[\w:/]+$/ }, (a) => (a.path.startsWith('node:') || builtinModules.includes(a.path) ? { path: a.path, namespace: 'no-node' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'no-node' }, () => ({ contents: 'export default {}; export const readFile = undefined, execFileSync = undefined;', loader: 'js' }));
    } }],
  });
  const origin = 'http://int8-bench.test';
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc'] });
  try {
    const page = await browser.newPage();
    await page.route(`${origin}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>int8 bench</title><script type="module" src="/bench/page.js"></script>' });
      if (path === '/bench/page.js') return route.fulfill({ contentType: 'text/javascript', body: bundle.outputFiles[0]!.text });
      const wasm = /^\/(dist|tfjs)\/([\w-]+\.wasm)$/.exec(path);
      if (wasm) return route.fulfill({ contentType: 'application/wasm', body: readFileSync(join(wasm[1] === 'dist' ? kernelsDist : join(tfjsWasm, 'dist'), wasm[2]!)) });
      return route.fulfill({ status: 404 });
    });
    page.on('console', (m) => console.log(`[chromium] ${m.text()}`));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'runBench' in globalThis);
    const params: PageParams = { batches: BATCHES, runs: RUNS, ...(MODELS ? { models: MODELS } : {}) };
    const out = await page.evaluate((p) => (globalThis as unknown as { runBench: (p: PageParams) => Promise<{ rows: Int8BenchRow[]; log: string[]; userAgent: string }> }).runBench(p), params);
    for (const l of out.log) console.log(`[chromium] ${l}`);
    return out;
  } finally {
    await browser.close();
  }
}

if (CHILD) {
  const rows = await inNode(CHILD);
  process.stdout.write(`\nINT8-ROWS ${JSON.stringify(rows)}\n`);
} else {
  const t0 = performance.now();
  const load0 = loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const rows = PLACES.includes('node') ? await inNode('simd128') : [];
  const child = !PLACES.includes('node') ? undefined : spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, BONSAI_INT8_BENCH_CHILD: 'relaxed' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (child) {
    if (child.status !== 0) throw new Error(`relaxed-SIMD child failed (${child.status}): ${child.stderr}`);
    const line = child.stdout.split('\n').find((l) => l.startsWith('INT8-ROWS '));
    if (!line) throw new Error(`relaxed-SIMD child printed no rows: ${child.stdout.slice(-2000)}`);
    rows.push(...(JSON.parse(line.slice('INT8-ROWS '.length)) as Int8BenchRow[]));
  }
  const loadNode = loadavg()[0]!;
  const chromium = !isSmoke() && PLACES.includes('chromium') && existsSync(CHROMIUM) ? await inChromium() : undefined;
  const cpu = process.cpuUsage(cpu0);
  const report = createReport({
    bench: 'int8-kernels',
    settings: { batches: BATCHES, runs: RUNS, models: int8BenchSpecs(isSmoke(), MODELS).map((s) => s.name), node: process.version, chromium: chromium?.userAgent ?? 'not run', cores: cpus().length, loadBefore: load0, loadAfterNode: loadNode, loadAfter: loadavg()[0] },
  });
  const agreement = (r: Int8BenchRow): string => `${(100 * r.agreement).toFixed(0)}%`;
  report.table('int8-kernels', {
    title: `Node ${process.version}: CPU time per inference on wasm (1 thread), median of ${RUNS} interleaved rounds; speedups are medians of per-round ratios`,
    columns: ['model', 'batch', 'int8 build', 'float CPU ms', 'int8 simulated CPU ms', 'int8 kernels CPU ms', 'int8 kernels vs float', 'int8 kernels vs simulated', 'int8 layers', 'top-1 = simulated', 'max |diff| (steps)'],
    rows: rows.map((r) => [r.model, r.batch, r.build, ms(r.times.cpu!.float), ms(r.times.cpu!.simulated), ms(r.times.cpu!.int8), ratio(r.speedup.cpu!.float), ratio(r.speedup.cpu!.simulated), r.int8Layers, agreement(r), r.maxSteps]),
    note: 'CPU time of the benchmarking process (process.cpuUsage), robust to the load of a shared machine; wall times in table int8-kernels-wall. "relaxed dot-i16" rows ran in a child process with --experimental-wasm-relaxed-simd (Node 20 computes the accumulating relaxed dot wrongly, so the kernels use the i16 form there).',
  });
  report.table('int8-kernels-wall', {
    title: 'Node: wall time of the same runs (median ms; speedups: medians of per-round ratios)',
    columns: ['model', 'batch', 'int8 build', 'float ms', 'int8 simulated ms', 'int8 kernels ms', 'int8 kernels vs float', 'int8 kernels vs simulated'],
    rows: rows.map((r) => [r.model, r.batch, r.build, ms(r.times.wall!.float), ms(r.times.wall!.simulated), ms(r.times.wall!.int8), ratio(r.speedup.wall!.float), ratio(r.speedup.wall!.simulated)]),
    note: `Load average ${load0.toFixed(1)} before, ${loadNode.toFixed(1)} after the Node runs (shared machine); parent CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${((performance.now() - t0) / 1000).toFixed(1)} s wall. Each process measures its own float baseline.`,
  });
  if (chromium) {
    report.table('int8-kernels-chromium', {
      title: `Headless Chromium (${/Chrome\/[\d.]+/.exec(chromium.userAgent)?.[0] ?? chromium.userAgent}): wall time per inference on wasm (1 thread), median of ${RUNS} interleaved rounds; speedups are medians of per-round ratios`,
      columns: ['model', 'batch', 'int8 build', 'float ms', 'int8 simulated ms', 'int8 kernels ms', 'int8 kernels vs float', 'int8 kernels vs simulated', 'int8 layers', 'top-1 = simulated', 'max |diff| (steps)'],
      rows: chromium.rows.map((r) => [r.model, r.batch, r.build, ms(r.times.wall!.float), ms(r.times.wall!.simulated), ms(r.times.wall!.int8), ratio(r.speedup.wall!.float), ratio(r.speedup.wall!.simulated), r.int8Layers, agreement(r), r.maxSteps]),
      note: `tfjs-backend-wasm SIMD without threads (the page is not cross-origin isolated) vs the int8 kernels, in one page. "relaxed dot-add" uses i32x4.relaxed_dot_i8x16_i7x16_add_s (exact in Chromium, found by the load-time probe); "relaxed dot-i16" forces the i16 form for comparison. Wall time: load average ${loadNode.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after.`,
    });
  }
  report.write();
}
