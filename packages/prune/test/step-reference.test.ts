import * as tf from '@tensorflow/tfjs-core';
import { createRng, initBackend, type Model } from '@bonsai/core';
import { DependencyGraph, type Group } from '@bonsai/graph';
import { resnet } from '@bonsai/models';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { magnitude, Pruner } from '../src/index';

// The Pruner's fast step (SIMD scoring in the wasm heap, packed-key selection, one heap copy per
// tensor) against a straightforward reference kept here: float64 sums index by index, a plain
// comparator sort, and tf.gather for the slicing.

beforeAll(async () => {
  await initBackend('wasm');
});

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

/** ResNet-20 (8-16-32 wide, 8x8 input) with seeded random weights (BN gammas too, so groups differ). */
function net(seed: number): Model {
  const m = resnet({ depth: 20, base: 8, inputShape: [8, 8, 3] });
  const rng = createRng(seed);
  for (const p of m.params.values()) {
    if (!p.trainable) continue;
    tf.tidy(() => p.assign(tf.tensor(Float32Array.from({ length: p.size }, () => rng() * 2 - 1), p.shape)));
  }
  return m;
}

/** L1 group scores as Torch-Pruning defines them: per member, sum |w| over the other axes; mean over members; divided by the mean. */
function referenceScores(model: Model, group: Group): Float32Array {
  const sums = new Float64Array(group.size);
  const count = new Float64Array(group.size);
  for (const member of group.members()) {
    const param = model.params.get(member.name)!;
    if (!param.trainable || member.role === 'bias' || member.role === 'beta') continue;
    const values = param.value.dataSync();
    const shape = param.shape;
    let stride = 1;
    for (let b = member.axis + 1; b < shape.length; b++) stride *= shape[b]!;
    const perPosition = new Float64Array(shape[member.axis]!);
    values.forEach((v, i) => {
      const pos = Math.floor(i / stride) % shape[member.axis]!;
      perPosition[pos] = perPosition[pos]! + Math.abs(v);
    });
    const memberSums = new Float64Array(group.size);
    const covered = new Uint8Array(group.size);
    member.indices.forEach((pos, k) => {
      memberSums[member.units[k]!] = memberSums[member.units[k]!]! + perPosition[pos]!;
      covered[member.units[k]!] = 1;
    });
    for (let u = 0; u < group.size; u++) {
      if (!covered[u]) continue;
      sums[u] = sums[u]! + Math.fround(memberSums[u]!);
      count[u]!++;
    }
  }
  const scores = Float32Array.from(sums, (s, u) => (count[u] ? s / count[u]! : 0));
  const mean = scores.reduce((a, s) => a + s, 0) / scores.length;
  return scores.map((s) => s / (mean + 1e-8));
}

/** Root channel positions to remove per group: the lowest `floor(size * ratio)` units (ties by unit order), per group or pooled. */
function referencePicks(model: Model, ratio: number, global: boolean): Map<string, number[]> {
  const dg = DependencyGraph.build(model);
  const groups = [...dg.groups({ ignored: model.graph.outputs })];
  const entries = groups.flatMap((g, gi) => Array.from(referenceScores(model, g), (score, u) => ({ gi, u, score })));
  const pools = global ? [entries] : groups.map((_, gi) => entries.filter((e) => e.gi === gi));
  const picked = groups.map(() => [] as number[]);
  for (const pool of pools) {
    const sorted = [...pool].sort((a, b) => a.score - b.score || a.gi - b.gi || a.u - b.u);
    const take = Math.floor(pool.length * ratio + 1e-9);
    // Every group keeps at least one unit (none of these groups is small enough to be emptied at 50%).
    for (const e of sorted.slice(0, take)) picked[e.gi]!.push(e.u);
  }
  return new Map(groups.map((g, gi) => [g.root, g.select(picked[gi]!).idxs] as const).filter(([, idx]) => idx.length > 0));
}

describe('Pruner step against a reference implementation', () => {
  for (const global of [false, true]) {
    it(`removes the same channels and slices every param like tf.gather (${global ? 'global' : 'local'} L1, 50%)`, () => {
      const m = net(global ? 2 : 1);
      const want = referencePicks(m, 0.5, global);
      const dense = new Map([...m.params].map(([name, p]) => [name, tf.clone(p.value)] as const));
      const pruner = new Pruner(m, { importance: magnitude({ p: 1 }), ratio: 0.5, global });
      const picks = pruner.plan();
      expect(new Map(picks.map((g) => [g.root, g.idxs] as const))).toEqual(want);
      // Removed positions of every (param, axis), from the groups' members before pruning.
      const cut = new Map<string, Map<number, Set<number>>>();
      for (const g of picks) {
        for (const mem of g.members()) {
          const axes = cut.get(mem.name) ?? new Map<number, Set<number>>();
          const set = axes.get(mem.axis) ?? new Set<number>();
          mem.indices.forEach((i) => set.add(i));
          axes.set(mem.axis, set);
          cut.set(mem.name, axes);
        }
      }
      pruner.dg.prune(picks);
      for (const [name, p] of m.params) {
        const expected = tf.tidy(() => {
          let t = dense.get(name)!;
          for (const [axis, removed] of cut.get(name) ?? []) {
            const keep = Array.from({ length: t.shape[axis]! }, (_, i) => i).filter((i) => !removed.has(i));
            t = tf.gather(t, tf.tensor1d(keep, 'int32'), axis);
          }
          return tf.clone(t);
        });
        expect(p.shape, name).toEqual(expected.shape);
        expect(Array.from(p.value.dataSync()), name).toEqual(Array.from(expected.dataSync()));
        expected.dispose();
      }
      tf.dispose([...dense.values()]);
      m.dispose();
    });
  }
});
