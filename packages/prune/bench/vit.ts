/**
 * Tiny ViT on real MNIST (issue 14): train a ViT on wasm, then compare the dense model with 50%
 * of the attention heads pruned and with 50% of the MLP hidden units pruned, each followed by a
 * short KD fine-tune from the dense model: accuracy, params, MACs, interleaved wasm latency, and
 * the pruned models' numHeads / headDim per block read back from the graph (no hand patching).
 * Exported for the prune bench index; `tsx bench/vit.ts` runs it alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adam, cosineLr, initBackend, train, type Model } from '@bonsai/core';
import { epochBatches, loadMnist, toTensors, type MnistData } from '@bonsai/datasets';
import { distill, kdLoss } from '@bonsai/distill';
import { accuracy } from '@bonsai/eval';
import { modelStats } from '@bonsai/graph';
import { vit, type VitOptions } from '@bonsai/models';
import { magnitude, Pruner } from '@bonsai/prune';
import { createReport, interleave, isSmoke, ms, num, pct, pick, spread } from '@bonsai/bench-harness';

/** Options of {@link runVitBench}. */
export interface VitBenchOptions {
  /** Training epochs of the dense ViT (default 12). */
  epochs?: number;
  /** KD fine-tuning epochs after pruning (default 2). */
  fineTuneEpochs?: number;
  /** Fraction of heads / MLP hidden units removed (default 0.5). */
  ratio?: number;
  /** The ViT (default patch 7, dim 48, depth 2, heads 4, mlpRatio 2). */
  model?: VitOptions;
}

interface Variant {
  name: string;
  model: Model;
  accPruned: number;
  accFineTuned: number;
  seconds: number;
}

const BATCH = 64;

function attentionShape(m: Model): string {
  return m.graph.nodes
    .filter((n) => n.attrs.numHeads !== undefined)
    .map((n) => `${n.id}: ${String(n.attrs.numHeads)}x${String(n.attrs.headDim)}`)
    .join(', ');
}

async function fineTuneKd(teacher: Model, student: Model, data: MnistData, epochs: number, seed: number): Promise<void> {
  const batches = epochBatches(data.train, { batchSize: BATCH, seed });
  const steps = Math.ceil(data.train.count / BATCH) * epochs;
  const opt = adam({ lr: 5e-4 });
  await distill(teacher, student, batches, { optimizer: opt, epochs, lrSchedule: cosineLr({ initial: 5e-4, totalSteps: steps }), loss: kdLoss({ temperature: 4, alpha: 0.7 }) });
  opt.dispose();
}

/** Trains the ViT, prunes heads and MLP hidden units, fine-tunes with KD, and reports. */
export async function runVitBench(options: VitBenchOptions = {}): Promise<void> {
  const o = {
    epochs: pick(12, 1),
    fineTuneEpochs: pick(2, 1),
    ratio: 0.5,
    ...options,
    model: { patch: 7, dim: 48, depth: 2, heads: 4, mlpRatio: 2, seed: 0, ...options.model },
  };
  const info = await initBackend('wasm');
  const data = loadMnist(isSmoke() ? { trainSize: 256, testSize: 256 } : {});
  const report = createReport({
    bench: 'vit',
    settings: { ...o, batch: BATCH, optimizer: 'Adam 1e-3, cosine', kd: 'T 4, alpha 0.7, Adam 5e-4 cosine', train: data.train.count, test: data.test.count, backend: info.name },
  });
  const test = toTensors(data.test);
  const acc = (m: Model): number => accuracy(m, test.x, test.y, { batchSize: 500 });

  // 1. Dense ViT.
  const t0 = performance.now();
  const dense = vit(o.model);
  const batches = epochBatches(data.train, { batchSize: BATCH, seed: 1 });
  const opt = adam({ lr: 1e-3 });
  const steps = Math.ceil(data.train.count / BATCH) * o.epochs;
  await train(dense, batches, {
    optimizer: opt, epochs: o.epochs, lrSchedule: cosineLr({ initial: 1e-3, totalSteps: steps, warmupSteps: Math.min(100, steps) }),
    callbacks: [{ onEpochEnd: (s) => console.log(`  epoch ${s.epoch + 1}/${o.epochs}: ${((performance.now() - t0) / 1000).toFixed(0)} s`) }],
  });
  opt.dispose();
  const trainSeconds = (performance.now() - t0) / 1000;
  const accDense = acc(dense);
  console.log(`dense ViT: ${pct(accDense)} after ${o.epochs} epochs, ${trainSeconds.toFixed(0)} s (${(trainSeconds / o.epochs).toFixed(1)} s/epoch)`);

  // 2. Pruned variants, each KD fine-tuned from the dense model.
  const variants: Variant[] = [];
  const prune = async (name: string, make: (m: Model) => Pruner): Promise<void> => {
    const t = performance.now();
    const m = dense.clone();
    make(m).step();
    const accPruned = acc(m);
    await fineTuneKd(dense, m, data, o.fineTuneEpochs, 2);
    variants.push({ name, model: m, accPruned, accFineTuned: acc(m), seconds: (performance.now() - t) / 1000 });
    console.log(`${name}: ${pct(accPruned)} pruned, ${pct(variants.at(-1)!.accFineTuned)} after KD; ${attentionShape(m)}`);
  };
  await prune(`${o.ratio * 100}% heads (L1)`, (m) => new Pruner(m, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: o.ratio }));
  await prune(`${o.ratio * 100}% MLP hidden (L1)`, (m) => new Pruner(m, { importance: magnitude(), ratio: o.ratio, ignored: ['patch_embed', 'head'] }));

  // 3. Interleaved latency (batch 1 and batch 64).
  const all = [{ name: 'dense', model: dense }, ...variants];
  const latency = async (batch: number) => {
    const x = tf.slice(test.x, 0, batch);
    const runs = Object.fromEntries(all.map((v) => [v.name, () => {
      const y = v.model.forward(x);
      y.dataSync();
      y.dispose();
    }]));
    const t = await interleave(runs, { warmup: 3, runs: pick(31, 3) });
    x.dispose();
    return t;
  };
  const lat1 = await latency(1);
  const lat64 = await latency(64);

  const statsDense = modelStats(dense);
  const row = (name: string, m: Model, accPruned: number | undefined, accFinal: number, seconds: number): string[] => {
    const s = modelStats(m);
    const vsDense = (t: typeof lat1): string => (name === 'dense' ? '' : spread(t.ratio(name, 'dense')));
    return [
      name, accPruned === undefined ? '' : pct(accPruned), pct(accFinal), `${((accDense - accFinal) * 100).toFixed(2)} pt`,
      num(s.trainableParams), `x${(s.trainableParams / statsDense.trainableParams).toFixed(3)}`, num(s.macs), `x${(s.macs / statsDense.macs).toFixed(3)}`,
      ms(lat1.variants[name]!.median), vsDense(lat1), ms(lat64.variants[name]!.median), vsDense(lat64),
      attentionShape(m), seconds.toFixed(0),
    ];
  };
  report.table('vit', {
    title: `Tiny ViT on MNIST (patch ${o.model.patch}, dim ${o.model.dim}, depth ${o.model.depth}, heads ${o.model.heads}, MLP x${o.model.mlpRatio}; ${data.train.count}/${data.test.count} split; ${o.epochs} epochs Adam 1e-3 cosine, batch ${BATCH}; pruned + ${o.fineTuneEpochs} KD epochs; wasm)`,
    columns: ['model', 'acc pruned', 'acc (after KD)', 'drop', 'params', 'params ÷ dense', 'MACs', 'MACs ÷ dense', 'latency b1 ms', 'b1 ÷ dense', 'latency b64 ms', 'b64 ÷ dense', 'heads x headDim per block (read from the graph)', 'time s'],
    rows: [
      row('dense', dense, undefined, accDense, trainSeconds),
      ...variants.map((v) => row(v.name, v.model, v.accPruned, v.accFineTuned, v.seconds)),
    ],
    note: `Dense training took ${trainSeconds.toFixed(0)} s (${(trainSeconds / o.epochs).toFixed(1)} s/epoch) on the wasm backend, 1 thread. Latencies are medians of interleaved rounds; ratios are paired per round (median and IQR).`,
  });
  report.write();
  test.x.dispose();
  test.y.dispose();
  for (const v of all) v.model.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) await runVitBench();
