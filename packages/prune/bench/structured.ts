/**
 * Structured-pruning benchmark on real MNIST (issue #4 target: >= 50% of conv channels removed
 * with <= 0.5% accuracy drop): Network Slimming (L1 on BN gamma during training, global bnScale
 * pruning, fine-tuning) and Taylor pruning (|w * g| accumulated over N batches). Exported for the
 * prune bench index; `tsx bench/structured.ts` runs it alone.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { adam, initBackend, train, type Callback, type Model } from '@bonsai/core';
import { epochBatches, loadMnist, toTensors, type MnistData } from '@bonsai/datasets';
import { modelStats } from '@bonsai/graph';
import { accuracy } from '@bonsai/eval';
import { smallCnn } from '@bonsai/models';
import { bnScale, Pruner, slimmingRegularizer, taylor, type GroupImportance } from '@bonsai/prune';
import { createReport, isSmoke, pick } from '@bonsai/bench-harness';

/** Options of {@link runStructuredBench}. */
export interface StructuredBenchOptions {
  /** Training epochs before pruning (default 4). */
  epochs?: number;
  /** Fine-tuning epochs after pruning (default 2). */
  fineTuneEpochs?: number;
  /** Channel ratio to remove (default 0.5). */
  ratio?: number;
  /** Network Slimming's lambda (default 1e-4). */
  lambda?: number;
  /** Batches Taylor scores are accumulated over (default 32). */
  taylorBatches?: number;
}

/** One row of the report. */
export interface StructuredBenchRow {
  method: string;
  accDense: number;
  accPruned: number;
  accFineTuned: number;
  channelsRemoved: number;
  paramRatio: number;
  macRatio: number;
  seconds: number;
}

const CONVS = ['conv1', 'conv2', 'conv3', 'conv4'];

function makeModel(): Model {
  return smallCnn({ widths: [16, 32], hidden: 64, bnMomentum: 0.9 });
}

async function runMethod(
  method: string,
  data: MnistData,
  test: { x: tf.Tensor; y: tf.Tensor },
  o: Required<StructuredBenchOptions>,
  trainCallbacks: Callback[],
  importance: (model: Model, batches: (e: number) => Iterable<{ x: tf.Tensor; y: tf.Tensor }>) => GroupImportance,
  global: boolean,
): Promise<StructuredBenchRow> {
  const t0 = performance.now();
  const model = makeModel();
  const batches = epochBatches(data.train, { batchSize: 64, seed: 7 });
  const opt = adam({ lr: 1e-3 });
  await train(model, batches, { optimizer: opt, epochs: o.epochs, callbacks: trainCallbacks });
  const accDense = accuracy(model, test.x, test.y, { batchSize: 500 });
  const before = modelStats(model);
  const pruner = new Pruner(model, { importance: importance(model, batches), ratio: o.ratio, global });
  pruner.step();
  const after = modelStats(model);
  const accPruned = accuracy(model, test.x, test.y, { batchSize: 500 });
  await train(model, (e) => batches(o.epochs + e), { optimizer: opt, epochs: o.fineTuneEpochs });
  const accFineTuned = accuracy(model, test.x, test.y, { batchSize: 500 });
  const ch = (s: typeof before): number => CONVS.reduce((a, id) => a + s.channels[id]!, 0);
  opt.dispose();
  model.dispose();
  return {
    method, accDense, accPruned, accFineTuned,
    channelsRemoved: 1 - ch(after) / ch(before),
    paramRatio: after.params / before.params,
    macRatio: after.macs / before.macs,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Runs Network Slimming and Taylor structured pruning on MNIST and prints a Markdown table. */
export async function runStructuredBench(options: StructuredBenchOptions = {}): Promise<StructuredBenchRow[]> {
  const o: Required<StructuredBenchOptions> = { epochs: pick(4, 1), fineTuneEpochs: pick(2, 1), ratio: 0.5, lambda: 1e-4, taylorBatches: pick(32, 2), ...options };
  await initBackend('wasm');
  const data = loadMnist(isSmoke() ? { trainSize: 128, testSize: 128 } : {});
  const report = createReport({ bench: 'structured', settings: { ...o, model: 'smallCnn 16-32, hidden 64', batch: 64, optimizer: 'Adam 1e-3', train: data.train.count, test: data.test.count } });
  const test = toTensors(data.test);
  const title = `Structured pruning on MNIST (small CNN 16-32, hidden 64; ${data.train.count}/${data.test.count} split; ${o.epochs} epochs + ${o.fineTuneEpochs} fine-tune epochs, Adam 1e-3, batch 64)`;
  const rows: StructuredBenchRow[] = [];
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  const cells = (r: StructuredBenchRow): string[] =>
    [r.method, pct(r.accDense), pct(r.accPruned), pct(r.accFineTuned), `${((r.accDense - r.accFineTuned) * 100).toFixed(2)} pt`, pct(r.channelsRemoved), `x${r.paramRatio.toFixed(3)}`, `x${r.macRatio.toFixed(3)}`, r.seconds.toFixed(0)];
  const log = (r: StructuredBenchRow): StructuredBenchRow => {
    console.log(`(done) ${cells(r).join(' | ')}`);
    return r;
  };
  rows.push(await runMethod(`Network Slimming (lambda ${o.lambda}, global bnScale)`, data, test, o, [slimmingRegularizer({ lambda: o.lambda })], () => bnScale(), true).then(log));
  rows.push(await runMethod(`Taylor (${o.taylorBatches} batches, per layer)`, data, test, o, [], (model, batches) => {
    const imp = taylor();
    imp.accumulate(model, batches(1000), { maxBatches: o.taylorBatches });
    return imp;
  }, false).then(log));
  test.x.dispose();
  test.y.dispose();
  report.table('structured', {
    title,
    columns: ['method', 'acc dense', 'acc pruned', 'acc fine-tuned', 'drop', 'conv channels removed', 'params', 'MACs', 'time s'],
    rows: rows.map(cells),
  });
  report.write();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await runStructuredBench();
