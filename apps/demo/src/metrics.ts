import type * as tf from '@tensorflow/tfjs-core';
import { toArtifacts, type Model } from '@bonsai/core';
import { accuracy, benchmarkLatency, countMacs, countNonZero, countParams, median, modelAgreement } from '@bonsai/eval';
import type { CurvePoint, DownloadFile, LayerRow, Latency, Metrics } from './protocol';

/** Batch size of the latency measurement: enough samples that a pass is not only dispatch overhead, at most 64. */
export function latencyBatch(model: Model): number {
  return Math.max(1, Math.min(64, Math.floor(8e7 / Math.max(1, countMacs(model).dense))));
}

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

/**
 * Measures accuracy, size, MACs and latency of `model` on the test tensors. With `original`
 * (unlabeled data), the first number is @bonsai/eval's top-1 agreement with it, and the other
 * agreement measures (top-5, mean KL, max |Δ|) come along.
 */
export async function measure(model: Model, test: { x: tf.Tensor; y: tf.Tensor }, files?: DownloadFile[], original?: Model): Promise<Metrics> {
  const agree = original ? modelAgreement(original, model, test.x, { batchSize: 250 }) : undefined;
  const acc = agree ? agree.top1 : accuracy(model, test.x, test.y, { batchSize: 250 });
  const macs = countMacs(model);
  const f = files ?? (await modelFiles(model));
  const bytes = f.reduce((a, x) => a + (typeof x.data === 'string' ? new TextEncoder().encode(x.data).byteLength : x.data.byteLength), 0);
  const gzipBytes = await gzipSize(f.map((x) => x.data));
  const lat = await benchmarkLatency(model, { warmup: 3, runs: 10, batch: latencyBatch(model) });
  return {
    accuracy: acc,
    params: countParams(model),
    nonZero: countNonZero(model),
    macs: macs.dense,
    effectiveMacs: macs.effective,
    bytes,
    gzipBytes,
    latencyMs: lat.median,
    ...(agree ? { agreement: { top5: agree.top5, k: agree.k, meanKl: agree.meanKl, maxAbsDiff: agree.maxAbsDiff, binary: agree.binary === true } } : {}),
  };
}

/**
 * Latency of `before` and `after` timed in alternating rounds (`runs` passes each per round), so
 * load on the machine hits both alike: medians over all passes, and the median, smallest and
 * largest of the per-round ratios after / before (the spread says how much a single ratio is worth).
 */
export async function pairedLatency(before: Model, after: Model, rounds = 6, runs = 4): Promise<Latency> {
  const batch = latencyBatch(before);
  const all: [number[], number[]] = [[], []];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const warmup = r === 0 ? 3 : 1;
    const a = await benchmarkLatency(before, { warmup, runs, batch });
    const b = await benchmarkLatency(after, { warmup, runs, batch });
    all[0].push(...a.samples);
    all[1].push(...b.samples);
    ratios.push(b.median / a.median);
  }
  return { batch, rounds, beforeMs: median(all[0]), afterMs: median(all[1]), ratio: median(ratios), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios) };
}

/** Output channels of `model`'s kernel at `node` (along the axis its op spec names as the output-channel axis). */
function outChannels(model: Model, node: string): number {
  const k = model.param(node, 'kernel');
  if (!k) return 0;
  const axis = model.graph.paramSpecs(node).kernel?.outAxis ?? k.shape.length - 1;
  return k.shape[axis] ?? 0;
}

/** Per-layer kernels of `after`, with output channels compared to `before` (same node ids). */
export function layerRows(before: Model, after: Model): LayerRow[] {
  const rows: LayerRow[] = [];
  for (const node of after.graph.nodes) {
    const k = after.param(node.id, 'kernel');
    if (!k) continue;
    rows.push({
      node: node.id,
      params: k.size,
      sparsity: k.sparsity(),
      channelsBefore: before.graph.has(node.id) ? outChannels(before, node.id) : 0,
      channelsAfter: outChannels(after, node.id),
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
