import type * as tf from '@tensorflow/tfjs-core';
import { toArtifacts, type Model } from '@bonsai/core';
import { accuracy, benchmarkLatency, countMacs, countNonZero, countParams, median } from '@bonsai/eval';
import type { CurvePoint, DownloadFile, LayerRow, Metrics } from './protocol';

/** Batch size of the latency measurement (batch 1 is pure dispatch overhead on a model this small). */
export const LATENCY_BATCH = 64;

/** Bytes of `data` after gzip (CompressionStream), to show what zeros buy on the wire. */
export async function gzipSize(parts: readonly BlobPart[]): Promise<number> {
  const stream = new Blob([...parts]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** The files of core's format: model.json text and weights.bin bytes. */
export async function modelFiles(model: Model): Promise<DownloadFile[]> {
  const art = await toArtifacts(model);
  return [{ name: 'model.json', data: JSON.stringify(art.json) }, { name: 'weights.bin', data: art.weights }];
}

/** Measures accuracy, size, MACs and latency of `model` on the test tensors. */
export async function measure(model: Model, test: { x: tf.Tensor; y: tf.Tensor }, files?: DownloadFile[]): Promise<Metrics> {
  const acc = accuracy(model, test.x, test.y, { batchSize: 250 });
  const macs = countMacs(model);
  const f = files ?? (await modelFiles(model));
  const bytes = f.reduce((a, x) => a + (typeof x.data === 'string' ? new TextEncoder().encode(x.data).byteLength : x.data.byteLength), 0);
  const gzipBytes = await gzipSize(f.map((x) => x.data));
  const lat = await benchmarkLatency(model, { warmup: 3, runs: 15, batch: LATENCY_BATCH });
  return {
    accuracy: acc,
    params: countParams(model),
    nonZero: countNonZero(model),
    macs: macs.dense,
    effectiveMacs: macs.effective,
    bytes,
    gzipBytes,
    latencyMs: lat.median,
  };
}

/**
 * Median latencies (ms per batch of {@link LATENCY_BATCH}) of two models measured in alternating
 * rounds, so that load on the machine hits both alike; a before/after ratio from two separate
 * measurements can be far off.
 */
export async function pairedLatency(a: Model, b: Model, rounds = 4): Promise<[number, number]> {
  const sa: number[] = [];
  const sb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const warmup = r === 0 ? 3 : 1;
    sa.push(...(await benchmarkLatency(a, { warmup, runs: 5, batch: LATENCY_BATCH })).samples);
    sb.push(...(await benchmarkLatency(b, { warmup, runs: 5, batch: LATENCY_BATCH })).samples);
  }
  return [median(sa), median(sb)];
}

/** Per-layer kernels of `after`, with output channels compared to `before` (same node ids). */
export function layerRows(before: Model, after: Model): LayerRow[] {
  const rows: LayerRow[] = [];
  for (const node of after.graph.nodes) {
    const k = after.param(node.id, 'kernel');
    if (!k) continue;
    const b = before.param(node.id, 'kernel');
    const sparsity = k.sparsity();
    rows.push({
      node: node.id,
      params: k.size,
      sparsity,
      channelsBefore: b ? (b.shape[b.shape.length - 1] ?? 0) : 0,
      channelsAfter: k.shape[k.shape.length - 1] ?? 0,
    });
  }
  return rows;
}

/** Overall weight sparsity of a model relative to a reference parameter count (structured pruning removes weights). */
export function sparsityVs(reference: Metrics, m: Metrics): number {
  return reference.params ? 1 - m.nonZero / reference.params : 0;
}

/** A point of the accuracy-vs-sparsity chart. */
export function point(reference: Metrics, m: Metrics, label: string): CurvePoint {
  return { sparsity: sparsityVs(reference, m), accuracy: m.accuracy, label };
}
