/**
 * Equivalence digest of the structured-pruning path (not part of `pnpm bench`): for every zoo model
 * (seeded random weights), the members and node slices of every group, the Pruner's picks (L1 / L2,
 * local / global) and a checksum of every param after the step. Run before and after a change to
 * the dependency graph or the step: the printed hashes must be equal.
 * Run: `npx tsx bench/step-digest.ts [--full]` (`--full` prints the per-model JSON too).
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, initBackend, type Model } from '@bonsai/core';
import { DependencyGraph } from '@bonsai/graph';
import { concatNet, lenet5, mlp300100, mobileNet, resnet20, resnet50, smallCnn, vggNet, vit } from '@bonsai/models';
import { magnitude, Pruner } from '@bonsai/prune';

await initBackend('wasm');
const zoo: Record<string, () => Model> = {
  resnet20: () => resnet20(),
  resnet50: () => resnet50(),
  vgg: () => vggNet(),
  lenet5: () => lenet5(),
  smallCnn: () => smallCnn(),
  mlp: () => mlp300100(),
  mobileNet: () => mobileNet(),
  concatNet: () => concatNet(),
  vit: () => vit({ dim: 16, heads: 4, depth: 2 }),
};

function seeded(make: () => Model, seed: number): Model {
  const m = make();
  const rng = createRng(seed);
  for (const p of m.params.values()) {
    if (!p.trainable) continue;
    const v = new Float32Array(p.size);
    for (let i = 0; i < v.length; i++) v[i] = rng() * 2 - 1;
    tf.tidy(() => p.assign(tf.tensor(v, p.shape)));
  }
  return m;
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);
const full = process.argv.includes('--full');
for (const [name, make] of Object.entries(zoo)) {
  const parts: Record<string, unknown> = {};
  const m0 = seeded(make, 1);
  const dg = DependencyGraph.build(m0);
  parts.groups = [...dg.groups({ ignored: m0.graph.outputs })].map((g) => ({
    root: g.root, units: [...g.units], idxs: g.idxs,
    members: g.members().map((x) => [x.name, x.axis, x.side, [...x.indices], [...x.units]]),
    slices: g.slices().map((s) => [s.node, s.width, [...s.indices]]),
  }));
  m0.dispose();
  for (const [label, options] of [['L1 local', { p: 1, global: false }], ['L2 global', { p: 2, global: true }]] as const) {
    const m = seeded(make, 2);
    const pruner = new Pruner(m, { importance: magnitude({ p: options.p }), ratio: 0.5, global: options.global });
    const picks = pruner.plan();
    const picked = picks.map((g) => [g.root, g.idxs]);
    pruner.dg.prune(picks);
    const sums = [...m.params].map(([n, p]) => [n, p.shape, hash(Buffer.from((p.value.dataSync() as Float32Array).buffer).toString('base64'))]);
    parts[label] = { picked, sums };
    m.dispose();
  }
  const text = JSON.stringify(parts);
  console.log(`${name.padEnd(10)} groups ${hash(JSON.stringify(parts.groups))}  L1-local ${hash(JSON.stringify(parts['L1 local']))}  L2-global ${hash(JSON.stringify(parts['L2 global']))}`);
  if (full) console.log(text);
}
