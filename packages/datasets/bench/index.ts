/**
 * @bonsai/datasets bench: (1) images/s decoded + preprocessed to 224x224x3 (ImageNet mean/std,
 * centre crop) per Node decoder, on copies of real photos; (2) peak RSS of a fresh process that
 * streams one shuffled pass over a folder as it grows 10x (must stay flat: streaming).
 * Writes bench-results/datasets.json. Run: `pnpm bench` in packages/datasets (smoke: `--smoke`).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReport, interleave, isSmoke, num, pick, rate, ratio, spread } from '@bonsai/bench-harness';
import { initBackend } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { imageFolder, type Dataset, type DecoderName } from '../src/index';
import { photoFolder } from './photo-folder';

const here = dirname(fileURLToPath(import.meta.url));
const DECODE_IMAGES = pick(24, 6);
const ROUNDS = pick(3, 1);
const SIZES = pick([200, 2000], [8, 40]);
const BATCH = 32;
const OVERLAP_IMAGES = pick(48, 16);
const STEP_MS = pick(300, 60);

/** One full pass over `dir` at 224x224 ImageNet preprocessing; returns the images seen. */
async function pass(dir: string, decoder: DecoderName): Promise<number> {
  const ds = await imageFolder(dir, { size: [224, 224], cropToAspectRatio: true, preprocess: 'imagenet', decoder });
  let n = 0;
  for await (const { x } of ds.batches({ batchSize: 8 })) {
    n += x.shape[0] ?? 0;
    x.dispose();
  }
  return n;
}

/** One pass where the consumer blocks the main thread for STEP_MS per batch; returns the images seen. */
async function consume(ds: Dataset, prefetch: number): Promise<number> {
  let n = 0;
  for await (const { x } of ds.batches({ batchSize: 8, prefetch })) {
    const end = performance.now() + STEP_MS;
    while (performance.now() < end) n += 0; // synchronous work, like a wasm training step
    n += x.shape[0] ?? 0;
    x.dispose();
  }
  return n;
}

/** Runs stream-rss.ts in a fresh Node process (tsx) and parses its JSON line. */
function streamInChild(dir: string, decoder: DecoderName): { images: number; seconds: number; maxRssMiB: number; rssBeforeMiB: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'stream-rss.ts', dir, decoder, String(BATCH)], { cwd: here, encoding: 'utf8' });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { images: number; seconds: number; maxRssMiB: number; rssBeforeMiB: number };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const report = createReport({ bench: 'datasets', settings: { decodeImages: DECODE_IMAGES, overlapImages: OVERLAP_IMAGES, stepMs: STEP_MS, rounds: ROUNDS, sizes: SIZES, batch: BATCH, smoke: isSmoke() } });
  report.note('Photos: the 3 real JPEGs vendored from @vladmandic/human (1280x1158, 800x564, 800x653), repeated. Output 224x224x3, centre crop, ImageNet mean/std, float32 tensors. Shared 2-core machine: medians of interleaved rounds.');

  const decodeDir = photoFolder(DECODE_IMAGES);
  const before = tf.memory().numTensors;
  const timed = await interleave(
    { sharp: () => pass(decodeDir, 'sharp'), js: () => pass(decodeDir, 'js') },
    { warmup: 1, runs: ROUNDS },
  );
  if (tf.memory().numTensors !== before) throw new Error('bench leaked tensors');
  const perSecond = (variant: 'sharp' | 'js'): number => DECODE_IMAGES / (timed.variants[variant].median / 1000);
  report.table('decode', {
    title: 'Decode + preprocess to 224x224x3 (Node, one process)',
    columns: ['decoder', 'images/s', 'ms/image', 'vs jpeg-js'],
    rows: [
      ['sharp 0.35 (libvips, 8 in flight)', rate(perSecond('sharp')), rate(timed.variants.sharp.median / DECODE_IMAGES), spread(timed.ratio('js', 'sharp'))],
      ['jpeg-js 0.4 + pngjs 7 (pure JS)', rate(perSecond('js')), rate(timed.variants.js.median / DECODE_IMAGES), ratio(1)],
    ],
    note: `${DECODE_IMAGES} images per pass, batch 8, ${ROUNDS} interleaved rounds; "vs jpeg-js" = jpeg-js time ÷ sharp time (median and IQR of per-round ratios).`,
  });
  // Prefetch against a synchronous consumer (a stand-in for a wasm training step).
  const overlapDir = photoFolder(OVERLAP_IMAGES);
  const opts = { size: [224, 224] as const, cropToAspectRatio: true, preprocess: 'imagenet' as const, decoder: 'sharp' as const };
  const mainThread = await imageFolder(overlapDir, opts);
  const pooled = await imageFolder(overlapDir, { ...opts, workers: 1 });
  const overlap = await interleave(
    { prefetch0: () => consume(mainThread, 0), prefetch1: () => consume(mainThread, 1), workers1: () => consume(pooled, 1) },
    { warmup: 1, runs: ROUNDS },
  );
  rmSync(dirname(overlapDir), { recursive: true, force: true });
  report.table('prefetch', {
    title: `One pass with a synchronous ${STEP_MS} ms step per batch of 8 (sharp)`,
    columns: ['prefetch', 'pass ms', 'of which steps ms', '÷ prefetch 0'],
    rows: [
      ['0 (load, then step)', rate(overlap.variants.prefetch0.median), num((OVERLAP_IMAGES / 8) * STEP_MS), ratio(1)],
      ['1 (next batch loads during the step)', rate(overlap.variants.prefetch1.median), num((OVERLAP_IMAGES / 8) * STEP_MS), spread(overlap.ratio('prefetch1', 'prefetch0'))],
      ['1, workers: 1 (decode + resize in a worker thread)', rate(overlap.variants.workers1.median), num((OVERLAP_IMAGES / 8) * STEP_MS), spread(overlap.ratio('workers1', 'prefetch0'))],
    ],
    note: 'Without workers, libvips decodes in libuv threads during the step but the bilinear resize and normalization run on the main thread after it; with workers: 1 the whole next batch is prepared during the step. Datasets opened once; one warm-up pass (starts the worker).',
  });
  rmSync(dirname(decodeDir), { recursive: true, force: true });

  const rows: (string | number)[][] = [];
  for (const size of SIZES) {
    const dir = photoFolder(size);
    const r = streamInChild(dir, 'sharp');
    rmSync(dirname(dir), { recursive: true, force: true });
    if (r.images !== size) throw new Error(`streamed ${r.images} of ${size} images`);
    const decodedMiB = (size * 224 * 224 * 3 * 4) / 2 ** 20;
    rows.push([num(size), num(r.maxRssMiB), num(r.rssBeforeMiB), num(decodedMiB), rate(size / r.seconds)]);
  }
  report.table('rss', {
    title: 'Peak RSS while streaming one shuffled pass (fresh process, sharp, batch 32)',
    columns: ['images', 'peak RSS MiB', 'RSS at start MiB', 'all decoded would be MiB', 'images/s'],
    rows,
    note: 'Peak RSS = process.resourceUsage().maxRSS of the child at the end of the pass; "all decoded" = images x 224 x 224 x 3 float32, what loading everything at once would hold.',
  });
  report.write();
}

await main();
