/**
 * Real converter-made GraphModels (vendored from @vladmandic/human 3.3.6, see
 * test/fixtures/graph-model/README.md): import time, output Δ vs stock tfjs-converter, params /
 * MACs before and after 50% structured pruning, and stock-tfjs wasm latency (batch 1,
 * interleaved rounds, medians) of the original file vs the exported dense model vs the exported
 * 50%-pruned model. Writes bench-results/graph-model.json.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfc from '@tensorflow/tfjs-converter';
import { initBackend, type Model } from '@bonsai/core';
import { modelStats } from '@bonsai/graph';
import { importGraphModelArtifacts, toGraphModelArtifacts, type GraphModelArtifacts } from '@bonsai/interop';
import { magnitude, Pruner } from '@bonsai/prune';
import { createReport, interleave, median, ms, num, pick, ratio, spread, type Cell } from '@bonsai/bench-harness';
import { loadStockGraphModel, readArtifacts, REAL_MODELS, seededInput, stockExecute } from '../test/graph-model-helpers';

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, tf.reshape(b, a.shape)))).dataSync()[0]!);
const maxOf = (a: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!);

/** Largest |Δ| over all outputs, and the largest |Δ| relative to that output's largest |value|. */
function agreement(ys: readonly tf.Tensor[], ref: readonly tf.Tensor[]): string {
  let abs = 0;
  let rel = 0;
  ys.forEach((y, i) => {
    const d = maxAbs(y, ref[i]!);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(maxOf(ref[i]!), 1e-12));
  });
  return `${abs.toExponential(1)} / ${rel.toExponential(1)}`;
}

function runOnce(m: tfc.GraphModel, x: tf.Tensor, names: readonly string[]): void {
  for (const y of stockExecute(m, x, names)) {
    y.dataSync();
    y.dispose();
  }
}

async function stockVs(model: Model, art: GraphModelArtifacts, x: tf.Tensor, names: readonly string[]): Promise<string> {
  const stock = await loadStockGraphModel(art);
  const ref = stockExecute(stock, x, names);
  const ys = model.run(x).outputs;
  const out = agreement(ys, ref);
  [...ys, ...ref].forEach((t) => t.dispose());
  stock.dispose();
  return out;
}

/** Runs the bench. */
export async function graphModelBench(): Promise<void> {
  await initBackend('wasm');
  const report = createReport({ bench: 'graph-model', settings: { batch: 1, backend: 'wasm', pruning: 'Pruner ratio 0.5, L1 magnitude, local; graph outputs not pruned', input: 'seeded uniform [0, 1)' } });
  const accuracy: Cell[][] = [];
  const size: Cell[][] = [];
  const latency: Cell[][] = [];
  for (const [name, m] of Object.entries(REAL_MODELS)) {
    const original = await readArtifacts(m.file);
    const importMs: number[] = [];
    for (let k = 0; k < pick(5, 1); k++) {
      const t0 = performance.now();
      importGraphModelArtifacts(original).dispose();
      importMs.push(performance.now() - t0);
    }
    const model = importGraphModelArtifacts(original);
    const x = seededInput(m.input, 21);
    const denseArt = await toGraphModelArtifacts(model);
    const names = denseArt.outputNames;
    const importDiff = await stockVs(model, original, x, names);
    const denseDiff = await stockVs(model, denseArt, x, names);
    const before = modelStats(model);
    new Pruner(model, { importance: magnitude(), ratio: 0.5 }).step();
    const after = modelStats(model);
    const prunedArt = await toGraphModelArtifacts(model);
    const prunedDiff = await stockVs(model, prunedArt, x, names);

    const [o, d, p] = await Promise.all([original, denseArt, prunedArt].map((a) => loadStockGraphModel(a)));
    const t = await interleave({ original: () => runOnce(o!, x, names), dense: () => runOnce(d!, x, names), pruned: () => runOnce(p!, x, names) }, { warmup: pick(3, 1), runs: pick(31, 3) });
    accuracy.push([name, ms(median(importMs)), importDiff, denseDiff, prunedDiff]);
    size.push([name, num(before.params), num(after.params), ratio(after.params / before.params), num(before.macs), num(after.macs), ratio(after.macs / before.macs)]);
    latency.push([name, ms(t.variants.original.median), ms(t.variants.dense.median), ms(t.variants.pruned.median), spread(t.ratio('original', 'dense')), spread(t.ratio('original', 'pruned'))]);
    [o, d, p].forEach((g) => g!.dispose());
    x.dispose();
    model.dispose();
  }
  report.table('accuracy', {
    title: 'GraphModel import and export vs stock tfjs-converter (wasm, batch 1; max |Δ| over all outputs / max |Δ| relative to the output\'s max |value|)',
    columns: ['model', 'import ms (median)', 'Bonsai vs stock original', 'stock exported dense vs Bonsai', 'stock exported 50%-pruned vs Bonsai pruned'],
    rows: accuracy,
  });
  report.table('size', {
    title: 'Params and MACs before / after 50% structured pruning (Pruner, L1)',
    columns: ['model', 'params', 'params pruned', 'ratio', 'MACs', 'MACs pruned', 'ratio'],
    rows: size,
  });
  report.table('latency', {
    title: 'Stock tfjs-converter wasm latency, batch 1 (interleaved rounds; speedup = original ÷ variant, median and IQR of paired rounds)',
    columns: ['model', 'original ms', 'exported dense ms', 'exported 50% pruned ms', 'dense speedup', 'pruned speedup'],
    rows: latency,
  });
  report.write();
}

if (import.meta.url === `file://${process.argv[1]}`) await graphModelBench();
