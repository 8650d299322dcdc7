import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type * as tf from '@tensorflow/tfjs-core';
import { save, type Model } from '@bonsai/core';
import { interleave } from '@bonsai/bench-harness';

/** Bytes of model.json + weights.bin written by core `save()`, and of weights.bin gzipped. */
export async function fileSize(model: Model): Promise<{ bytes: number; gzip: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'bonsai-prune-bench-'));
  try {
    await save(model, dir);
    const json = await readFile(join(dir, 'model.json'));
    const weights = await readFile(join(dir, 'weights.bin'));
    return { bytes: json.byteLength + weights.byteLength, gzip: json.byteLength + gzipSync(weights, { level: 9 }).byteLength };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Median forward times (ms) of two models on `x`, measured interleaved (a, b, a, b, ...) after
 * warm-ups so that machine load affects both alike.
 */
export async function pairedLatencyMs(a: Model, b: Model, x: tf.Tensor, runs = 21): Promise<[number, number]> {
  const once = (m: Model) => () => {
    const out = m.forward(x);
    out.dataSync();
    out.dispose();
  };
  const t = await interleave({ a: once(a), b: once(b) }, { warmup: 3, runs });
  return [t.variants.a.median, t.variants.b.median];
}
