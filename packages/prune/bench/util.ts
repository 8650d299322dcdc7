import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { save, type Model } from '@bonsai/core';
import { median } from '@bonsai/eval';

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
export function pairedLatencyMs(a: Model, b: Model, x: tf.Tensor, runs = 21): [number, number] {
  const once = (m: Model) => {
    const t0 = performance.now();
    const out = m.forward(x);
    out.dataSync();
    out.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) {
    once(a);
    once(b);
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    ta.push(once(a));
    tb.push(once(b));
  }
  return [median(ta), median(tb)];
}

/** Prints a Markdown table. */
export function printTable(title: string, rows: ReadonlyArray<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v);
  console.log(`\n### ${title}\n`);
  console.log(`| ${keys.join(' | ')} |`);
  console.log(`| ${keys.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${keys.map((k) => fmt(r[k]!)).join(' | ')} |`);
}

/** `x` as a percentage string. */
export const pct = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;

/** Bytes as KiB. */
export const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
