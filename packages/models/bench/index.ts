/**
 * @bonsai/models bench: every zoo builder's build time (graph + seeded init), parameter and MAC
 * counts (from core's op registry), and wasm batch-1 forward latency. Writes
 * bench-results/zoo.json, then bench/attention.ts. Smoke mode: one run each, ResNet-50 left out.
 * Run: pnpm --filter @bonsai/models... build && pnpm --filter @bonsai/models bench
 */
import * as tf from '@tensorflow/tfjs-core';
import { getOp, initBackend, type Model } from '@bonsai/core';
import { createReport, isSmoke, median, ms, num, pick, timeMs, type Cell } from '@bonsai/bench-harness';
import { concatNet, lenet5, mlp300100, mobileNet, resnet20, resnet50, resnet56, smallCnn, vggNet, vit } from '../src/index';

/** Params (all, and trainable) and MACs per sample, summed over the registry's per-op facts. */
function sizeOf(model: Model): { params: number; trainable: number; macs: number } {
  let params = 0;
  let trainable = 0;
  for (const p of model.params.values()) {
    params += p.size;
    if (p.trainable) trainable += p.size;
  }
  const g = model.graph;
  let macs = 0;
  for (const n of g.nodes) {
    const spec = getOp(n.op, n.id);
    if (!spec.graphInput) macs += spec.macs(g.inputShapes(n.id), g.shape(n.id), n.attrs);
  }
  return { params, trainable, macs };
}

const ZOO: Array<[string, () => Model]> = [
  ['mlp300100()', () => mlp300100()],
  ['lenet5()', () => lenet5()],
  ['smallCnn() (32-64, fc 128)', () => smallCnn()],
  ['smallCnn({ widths: [16, 32] })', () => smallCnn({ widths: [16, 32] })],
  ['vggNet()', () => vggNet()],
  ['resnet20() (32x32x3)', () => resnet20({ inputShape: [32, 32, 3] })],
  ['resnet56() (32x32x3)', () => resnet56({ inputShape: [32, 32, 3] })],
  ['mobileNet()', () => mobileNet()],
  ['concatNet()', () => concatNet()],
  ['vit()', () => vit()],
  ['resnet50() (224x224x3)', () => resnet50()],
];

const info = await initBackend('wasm');
const runs = pick(5, 1);
const report = createReport({ bench: 'zoo', settings: { runs, backend: info } });
const rows: Cell[][] = [];
for (const [name, make] of isSmoke() ? ZOO.filter(([n]) => !n.startsWith('resnet50')) : ZOO) {
  const build: number[] = [];
  let model: Model | undefined;
  for (let r = 0; r < runs; r++) {
    model?.dispose();
    build.push(timeMs(() => (model = make())));
  }
  const m = model!;
  const s = sizeOf(m);
  const x = tf.randomUniform([1, ...m.graph.shape(m.graph.inputs[0]!)], 0, 1, 'float32', 1);
  const fwd: number[] = [];
  for (let r = 0; r < 2 + runs; r++) {
    const t = timeMs(() => {
      const y = m.forward(x);
      y.dataSync();
      y.dispose();
    });
    if (r >= 2) fwd.push(t);
  }
  x.dispose();
  m.dispose();
  rows.push([name, num(m.graph.nodes.length), num(s.params), num(s.trainable), num(s.macs), ms(median(build)), ms(median(fwd))]);
  console.log(`${name}: ${ms(median(build))} ms build`);
}
report.table('zoo', {
  title: `Model zoo: build (graph + seeded init) and batch-1 forward on ${info.name}, median ms of ${runs}`,
  columns: ['builder', 'nodes', 'params', 'trainable params', 'MACs / sample', 'build ms', 'forward ms (batch 1)'],
  rows,
});
report.write();

// Attention formulations at batch 64 (bench-results/attention.json).
await import('./attention');
