/**
 * Child process of the datasets bench: streams one pass of 224x224 ImageNet-preprocessed batches
 * over a folder and prints JSON `{ images, seconds, maxRssMiB, rssBeforeMiB }` (peak resident memory of this process).
 * Usage: `tsx bench/stream-rss.ts <folder> <decoder> <batchSize>`.
 */
import { initBackend } from '@bonsai/core';
import { imageFolder, type DecoderName } from '../src/index';

const [dir, decoder = 'sharp', batchSize = '32'] = process.argv.slice(2);
if (!dir) throw new Error('usage: stream-rss.ts <folder> <decoder> <batchSize>');
await initBackend('wasm');
const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
const t0 = performance.now();
const ds = await imageFolder(dir, { size: [224, 224], cropToAspectRatio: true, preprocess: 'imagenet', decoder: decoder as DecoderName });
let images = 0;
for await (const { x } of ds.batches({ batchSize: Number(batchSize), shuffle: true, seed: 1 })) {
  images += x.shape[0] ?? 0;
  x.dispose();
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ images, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, rssBeforeMiB }));
