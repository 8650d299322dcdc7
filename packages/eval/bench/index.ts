/**
 * @bonsai/eval bench: what unstructured vs structured sparsity does to params, non-zeros, MACs,
 * file size and wasm latency, measured side by side with `evaluate` + `compare`.
 * Writes bench-results/eval.json; smoke mode: 1 round, fewer runs.
 * Run: `pnpm --filter @bonsai/eval... build && pnpm bench` (in packages/eval).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, type Model } from '@bonsai/core';
import { smallCnn } from '@bonsai/models';
import { createReport, parseMarkdownTable, pick } from '@bonsai/bench-harness';
import { benchmarkLatency, compare, countMacs, evaluate, l1KernelPrune, paramReport, summarize, type LatencyResult, type Metrics } from '../src/index';

/** Masks `ratio` of every kernel by magnitude, then bakes the masks in (zeros stored as float32). */
function sparsify(m: Model, ratio: number): Model {
  const c = m.clone();
  for (const node of c.graph.nodes) {
    const k = c.param(node.id, 'kernel');
    if (!k) continue;
    l1KernelPrune(c, node.id, ratio);
    k.bake();
  }
  return c;
}

const ROUNDS = pick(5, 1);

/**
 * Latency of several models measured round-robin (`rounds` x `runs` passes each, pooled), so
 * load changes on a shared machine hit every row alike.
 */
async function interleavedLatency(models: readonly Model[], batch: number, rounds: number, runs: number): Promise<LatencyResult[]> {
  const pooled = models.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, m] of models.entries()) pooled[i]!.push(...(await benchmarkLatency(m, { warmup: 2, runs, batch })).samples);
  }
  return pooled.map((samples) => {
    const s = summarize(samples);
    return { ...s, samples, batch, perSample: s.median / batch, backend: tf.getBackend() };
  });
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const info = backendInfo();
  console.log('# @bonsai/eval bench: unstructured vs structured sparsity on wasm\n');
  const rep = createReport({ bench: 'eval', settings: { rounds: ROUNDS, model: 'smallCnn 32-64, fc 128, random init' } });
  rep.note(`Backend ${info.name} (SIMD ${info.simd}, threads ${info.threads}), Node ${process.version}. Random-init smallCnn; latency = forward + readback, batch 1 and 32, median of ${ROUNDS} interleaved rounds.`);
  const base = smallCnn({ widths: [32, 64], hidden: 128 });
  const rows: Array<{ name: string; model: Model }> = [
    { name: 'smallCnn 32-64', model: base },
    { name: '50% unstructured', model: sparsify(base, 0.5) },
    { name: '90% unstructured', model: sparsify(base, 0.9) },
    { name: 'channels halved (16-32, fc 64)', model: smallCnn({ widths: [16, 32], hidden: 64 }) },
  ];
  const before = tf.memory().numTensors;
  for (const batch of [1, 32]) {
    const metrics: Metrics[] = [];
    for (const r of rows) metrics.push(await evaluate(r.model, { name: r.name }));
    const lat = await interleavedLatency(rows.map((r) => r.model), batch, ROUNDS, pick(batch === 1 ? 10 : 3, 2));
    metrics.forEach((m, i) => (m.latency = lat[i]));
    rep.table(`batch-${batch}`, { title: `batch ${batch}`, ...parseMarkdownTable(compare(metrics).markdown) });
  }
  const t0 = performance.now();
  const macs = countMacs(base);
  const report = paramReport(base);
  const countMs = performance.now() - t0;
  rep.table('params', { title: 'Per-node parameters of the baseline', ...parseMarkdownTable(report.markdown) });
  rep.note(`countMacs + paramReport took ${countMs.toFixed(1)} ms; dense MACs ${macs.dense.toLocaleString('en-US')}.`);
  rep.note('Unstructured zeros cut non-zeros and effective MACs, but the file (float32 zeros) and wasm latency (no sparse kernels) stay; only structured pruning (narrower layers) is faster.');
  for (const r of rows) r.model.dispose();
  if (tf.memory().numTensors > before) throw new Error(`eval bench: ${tf.memory().numTensors - before} tensors leaked`);
  rep.write();
}

await main();
