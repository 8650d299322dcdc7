/**
 * @bonsai/graph benchmark: dependency-graph build and prune time on a ResNet-50-shaped graph, and
 * wasm inference latency of dense vs 50%-channel-pruned models (interleaved) beside their MAC
 * ratio. Writes bench-results/graph.json. Smoke mode: ResNet-20 instead of ResNet-50, few runs.
 * Run: pnpm --filter @bonsai/graph... build && pnpm --filter @bonsai/graph bench
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import { resnet20, resnet50, smallCnn } from '@bonsai/models';
import { DependencyGraph, modelStats } from '@bonsai/graph';
import { createReport, interleave, isSmoke, median, ms, num, pick, ratio, spread, timeMs, type Cell } from '@bonsai/bench-harness';

/** Removes about half the units of every prunable group (which units does not matter for timing). */
function pruneHalf(model: Model): DependencyGraph {
  const dg = DependencyGraph.build(model);
  const picks = [...dg.groups()].map((g) => {
    const b = g.budget();
    for (let i = 0; i < g.size && b.selected.length < Math.floor(g.size / 2); i += 2) b.tryAdd(i);
    for (let i = 1; i < g.size && b.selected.length < Math.floor(g.size / 2); i += 2) b.tryAdd(i);
    return b.finish();
  });
  dg.prune(picks);
  return dg;
}

/** Forward + readback of `model` on `x`. */
function forward(model: Model, x: tf.Tensor): void {
  const y = model.forward(x);
  y.dataSync();
  y.dispose();
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const smoke = isSmoke();
  const report = createReport({ bench: 'graph' });
  console.log('# @bonsai/graph benchmark\n');

  const big = smoke ? { name: 'ResNet-20 (smoke)', make: () => resnet20({ inputShape: [32, 32, 3] }) } : { name: 'ResNet-50 (224x224x3, 1000 classes)', make: () => resnet50() };
  const base = big.make();
  const dense = modelStats(base);
  const runs = pick(5, 1);
  const build: number[] = [];
  const enumerate: number[] = [];
  const prune: number[] = [];
  let groups = 0;
  let units = 0;
  let after = dense;
  for (let r = 0; r < runs; r++) {
    const m = base.clone();
    let dg: DependencyGraph | undefined;
    build.push(timeMs(() => (dg = DependencyGraph.build(m))));
    enumerate.push(timeMs(() => {
      const gs = [...dg!.groups()];
      groups = gs.length;
      units = gs.reduce((a, g) => a + g.size, 0);
    }));
    prune.push(timeMs(() => pruneHalf(m)));
    after = modelStats(m);
    m.dispose();
  }
  base.dispose();
  report.settings({ dependencyGraphModel: big.name, runs });
  report.table('dependency-graph', {
    title: `Dependency graph on ${big.name}: median ms of ${runs} runs`,
    columns: ['step', 'median ms'],
    rows: [
      ['DependencyGraph.build', ms(median(build))],
      [`groups() (${groups} groups, ${units} units)`, ms(median(enumerate))],
      ['build + prune 50% of every group (physical slicing)', ms(median(prune))],
    ],
  });
  report.table('dependency-graph-size', {
    title: `${big.name}: size before and after removing 50% of every group`,
    columns: ['model', 'params', 'MACs'],
    rows: [
      ['dense', num(dense.params), num(dense.macs)],
      ['50% channels', num(after.params), num(after.macs)],
      ['ratio', ratio(after.params / dense.params, 3), ratio(after.macs / dense.macs, 3)],
    ],
  });

  const rows: Cell[][] = [];
  const cases: Array<[string, () => Model]> = [
    ['ResNet-20 (16-32-64, 32x32x3)', () => resnet20({ inputShape: [32, 32, 3] })],
    ['small CNN (32-64, 128, MNIST)', () => smallCnn()],
  ];
  for (const [name, make] of cases) {
    const d = make();
    const p = make();
    pruneHalf(p);
    const sd = modelStats(d);
    const sp = modelStats(p);
    for (const [batch, n] of [[1, pick(50, 3)], [32, pick(10, 2)]] as const) {
      const x = tf.randomUniform([batch, ...d.graph.shape(d.graph.inputs[0]!)], 0, 1, 'float32', 1);
      const t = await interleave({ dense: () => forward(d, x), pruned: () => forward(p, x) }, { warmup: 3, runs: n });
      x.dispose();
      rows.push([name, batch, ms(t.variants.dense.median), ms(t.variants.pruned.median), spread(t.ratio('pruned', 'dense')), ratio(sp.macs / sd.macs), ratio(sp.params / sd.params)]);
    }
    d.dispose();
    p.dispose();
  }
  report.table('latency', {
    title: 'wasm inference latency, dense vs 50%-channel-pruned (median ms; dense and pruned interleaved)',
    columns: ['model', 'batch', 'dense ms', 'pruned ms', 'latency ratio (IQR)', 'MAC ratio', 'param ratio'],
    rows,
  });
  report.write();
}

await main();
