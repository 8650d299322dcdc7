/**
 * Latency of the pretrained MNIST CNN in Chromium with wasm threads on (page served with
 * COOP/COEP, cross-origin isolated) vs off (the same files without those headers), timed in the
 * page's worker in interleaved rounds. Builds the app unless dist/ exists and `--reuse-dist` (or smoke mode) is
 * given. Writes bench-results/threads.json. Run: `npx tsx bench/threads.ts` in apps/demo.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReport, isSmoke, median, ms, pick, ratio, spread, summarize } from '@bonsai/bench-harness';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { serveStatic } from '../test/serve';
import { ISOLATION_HEADERS } from '../vite.config';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist');
const BATCH = 64;
const ROUNDS = pick(10, 2);
const RUNS = pick(5, 2);

if (!((process.argv.includes('--reuse-dist') || isSmoke()) && existsSync(join(outDir, 'index.html')))) {
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true, reportCompressedSize: false } });
}
const isolated = await serveStatic(outDir, ISOLATION_HEADERS);
const plain = await serveStatic(outDir);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
const load0 = loadavg()[0]!;
try {
  const open = async (url: string): Promise<Page> => {
    const page = await browser.newPage();
    await page.goto(`${url}?bench`);
    await page.waitForFunction(() => document.body.dataset.model === 'pretrained', undefined, { timeout: 120_000 });
    return page;
  };
  const pages = { on: await open(isolated.url), off: await open(plain.url) };
  const time = (p: Page): Promise<{ samples: number[]; threads: boolean }> =>
    p.evaluate(([runs, batch]) => (window as unknown as { bonsaiBench: (r: number, b: number) => Promise<{ samples: number[]; threads: boolean }> }).bonsaiBench(runs!, batch!), [RUNS, BATCH]);
  const all = { on: [] as number[], off: [] as number[] };
  const ratios: number[] = [];
  const threads = { on: false, off: true };
  const cores = await pages.on.evaluate(() => navigator.hardwareConcurrency);
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which mode goes first so neither always runs on a warmer machine.
    const order = r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    const got: Record<'on' | 'off', number> = { on: 0, off: 0 };
    for (const k of order) {
      const t = await time(pages[k]);
      threads[k] = t.threads;
      all[k].push(...t.samples);
      got[k] = median(t.samples);
    }
    ratios.push(got.on / got.off);
  }
  if (!threads.on || threads.off) throw new Error(`expected threads on with COOP/COEP and off without, got on=${threads.on} off=${threads.off}`);
  const report = createReport({ bench: 'threads', dir: root, settings: { model: 'pretrained MNIST CNN (public/pretrained/mnist-cnn)', batch: BATCH, rounds: ROUNDS, runsPerRound: RUNS, browser: 'Debian chromium (headless)', hardwareConcurrency: cores, loadAverageAtStart: Number(load0.toFixed(2)), loadAverageAtEnd: Number(loadavg()[0]!.toFixed(2)) } });
  report.table('threads', {
    title: `wasm SIMD latency in Chromium, batch ${BATCH}, threads on (COOP/COEP) vs off`,
    columns: ['page', 'threads', 'median ms', 'on ÷ off (per round)'],
    rows: [
      ['cross-origin isolated (COOP/COEP)', 'on', ms(summarize(all.on).median), spread(summarize(ratios))],
      ['plain static server', 'off', ms(summarize(all.off).median), ''],
    ],
    note: `median of ${ROUNDS} interleaved rounds x ${RUNS} passes; ratio ${ratio(median(ratios))}; ${cores} logical cores, load average ${load0.toFixed(1)} at start`,
  });
  report.write();
} finally {
  await browser.close();
  await isolated.close();
  await plain.close();
}
