/**
 * @bonsai/graph benchmark: dependency-graph build and prune time on a ResNet-50-shaped graph, and
 * measured wasm inference latency of dense vs 50%-channel-pruned models beside their MAC ratio.
 * Run: pnpm --filter @bonsai/graph... build && pnpm --filter @bonsai/graph bench
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, type Model } from '@bonsai/core';
import { resnet20, resnet50, smallCnn } from '@bonsai/models';
import { DependencyGraph, modelStats } from '@bonsai/graph';
import { median } from '@bonsai/eval';
import { printTable, timeMs } from './util';

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

function latencyMs(model: Model, batch: number, runs: number): number {
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 1);
  for (let i = 0; i < 3; i++) tf.dispose(model.forward(x));
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    samples.push(
      timeMs(() => {
        const y = model.forward(x);
        y.dataSync();
        y.dispose();
      }),
    );
  }
  x.dispose();
  return median(samples);
}

async function main(): Promise<void> {
  const info = await initBackend('wasm');
  console.log(`# @bonsai/graph benchmark (backend ${info.name}, simd ${info.simd}, threads ${info.threads})\n`);

  console.log('## Dependency graph on a ResNet-50-shaped graph (224x224x3, 1000 classes)\n');
  const base = resnet50();
  const s50 = modelStats(base);
  const runs = 3;
  const build: number[] = [];
  const enumerate: number[] = [];
  const prune: number[] = [];
  let groups = 0;
  let units = 0;
  let after = s50;
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
  printTable(
    ['step', `median ms (${runs} runs)`],
    [
      ['DependencyGraph.build', median(build)],
      [`groups() (${groups} groups, ${units} units)`, median(enumerate)],
      ['build + prune 50% of every group (physical slicing)', median(prune)],
    ],
  );
  printTable(['ResNet-50', 'params', 'MACs'], [
    ['dense', s50.params, s50.macs],
    ['50% channels', after.params, after.macs],
    ['ratio', after.params / s50.params, after.macs / s50.macs],
  ]);
  base.dispose();

  console.log('## wasm inference latency, dense vs 50%-channel-pruned (median ms)\n');
  const rows: Array<Array<string | number>> = [];
  const cases: Array<[string, () => Model]> = [
    ['ResNet-20 (16-32-64, 32x32x3)', () => resnet20({ inputShape: [32, 32, 3] })],
    ['small CNN (32-64, 128, MNIST)', () => smallCnn()],
  ];
  for (const [name, make] of cases) {
    const dense = make();
    const pruned = make();
    pruneHalf(pruned);
    const sd = modelStats(dense);
    const sp = modelStats(pruned);
    for (const [batch, n] of [[1, 50], [32, 10]] as const) {
      const ld = latencyMs(dense, batch, n);
      const lp = latencyMs(pruned, batch, n);
      rows.push([name, batch, ld, lp, lp / ld, sp.macs / sd.macs, sp.params / sd.params]);
    }
    dense.dispose();
    pruned.dispose();
  }
  printTable(['model', 'batch', 'dense ms', 'pruned ms', 'latency ratio', 'MAC ratio', 'param ratio'], rows);
}

await main();
