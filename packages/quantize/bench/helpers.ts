import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';

/** Total bytes of the files in a folder. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
  return total;
}

/** Top-1 accuracy of `model` on `x` against integer `labels`. */
export function accuracyOf(model: Model, x: tf.Tensor, labels: Uint8Array): number {
  const pred = tf.tidy(() => tf.argMax(model.predict(x, { batchSize: 500 }), -1).dataSync());
  let ok = 0;
  labels.forEach((l, i) => {
    if (pred[i] === l) ok++;
  });
  return ok / labels.length;
}

/** Markdown table. */
export function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Seconds since `t0` (performance.now()), one decimal. */
export const since = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(1);
