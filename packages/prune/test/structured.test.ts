import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, crossEntropy, initBackend, sgd, train, type Model } from '@bonsai/core';
import { DependencyGraph, type Group } from '@bonsai/graph';
import { mlp300100, resnet, resnet20, smallCnn } from '@bonsai/models';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bnScale, lamp, magnitude, normalizeScores, Pruner, random, slimmingRegularizer, taylor } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

let tensorsBefore = 0;
beforeEach(() => {
  tensorsBefore = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(tensorsBefore);
});

const set = (m: Model, name: string, values: number[]): void => {
  const p = m.params.get(name)!;
  // The tidy frees the temporary tf.tensor(values); Param.assign itself leaves nothing behind (core test executor.test.ts).
  tf.tidy(() => p.assign(tf.tensor(values, p.shape)));
};
const width = (m: Model, id: string): number => m.graph.shape(id)[m.graph.shape(id).length - 1]!;
const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
};

/** MLP 4 -> 3 -> 2 with hand-set weights: fc1 column u holds u + 1 (times signs), fc2 row u holds 10 * (u + 1). */
function tinyMlp(): Model {
  const m = mlp300100({ inputShape: [2], hidden: [3], numClasses: 2 });
  set(m, 'fc1/kernel', [1, -2, 3, -1, 2, -3]);
  set(m, 'fc2/kernel', [10, -10, 20, 20, -30, 0]);
  return m;
}

describe('importance criteria', () => {
  it('magnitude: L1/L2 per member slice, group reductions and normalizers', () => {
    const m = tinyMlp();
    const g = [...DependencyGraph.build(m).groups()][0]!;
    expect(g.root).toBe('fc1');
    // L1: fc1 columns [2, 4, 6]; fc2 rows [20, 40, 30].
    close(magnitude({ p: 1, reduction: 'first', normalizer: null }).score(g)!, [2, 4, 6]);
    close(magnitude({ p: 1, reduction: 'mean', normalizer: null }).score(g)!, [11, 22, 18]);
    close(magnitude({ p: 1, reduction: 'sum', normalizer: null }).score(g)!, [22, 44, 36]);
    close(magnitude({ p: 1, reduction: 'max', normalizer: null }).score(g)!, [20, 40, 30]);
    close(magnitude({ p: 2, reduction: 'first', normalizer: null }).score(g)!, [2, 8, 18]);
    close(magnitude({ p: 1, reduction: 'first' }).score(g)!, [0.5, 1, 1.5]); // mean-normalized
    close(lamp({ reduction: 'first' }).score(g)!, [2 / 28, 8 / 26, 18 / 18]);
    m.dispose();
  });

  it('normalizers', () => {
    const s = Float32Array.from([1, 2, 3, 4]);
    close(normalizeScores(s, 'lamp'), [1 / 10, 2 / 9, 3 / 7, 1]);
    close(normalizeScores(s, 'max'), [0.25, 0.5, 0.75, 1]);
    close(normalizeScores(s, 'sum'), [0.1, 0.2, 0.3, 0.4]);
    close(normalizeScores(s, 'standardization'), [0, 1 / 3, 2 / 3, 1]);
    expect(() => normalizeScores(s, 'nope' as 'max')).toThrow(ConfigError);
  });

  it('bnScale scores |gamma| and skips groups without batch norm; random is seeded', () => {
    const m = smallCnn({ widths: [4, 8], hidden: 16, dropout: 0 });
    set(m, 'bn1/gamma', [0.5, -2, 0.1, 1]);
    const dg = DependencyGraph.build(m);
    const groups = [...dg.groups()];
    close(bnScale().score(groups[0]!)!, [0.5, 2, 0.1, 1]);
    expect(bnScale().score(groups.find((g) => g.root === 'fc1')!)).toBeUndefined();
    expect(random({ seed: 3 }).score(groups[0]!)).toEqual(random({ seed: 3 }).score(groups[0]!));
    m.dispose();
  });

  it('taylor accumulates |w * dL/dw| over batches (accumulate() and the train callback agree)', async () => {
    const m = tinyMlp();
    const x = tf.tensor2d([[1, 2], [-1, 0.5], [0.3, -2]]);
    const y = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
    // Manual reference: |w * g| of fc1's kernel for the batch, summed per output column.
    const w = m.params.get('fc1/kernel')!.value;
    const expected = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => crossEntropy(m.forward(x), y), [w]);
      return Array.from(tf.sum(tf.abs(tf.mul(w, grads[w.name]!)), 0).dataSync()).map((v) => 2 * v);
    });
    const imp = taylor({ reduction: 'first', normalizer: null });
    const g = [...DependencyGraph.build(m).groups()][0]!;
    expect(() => imp.score(g)).toThrow(/no gradients/);
    const twice = (): Iterable<{ x: tf.Tensor; y: tf.Tensor }> => [0, 1].map(() => ({ x: tf.clone(x), y: tf.clone(y) }));
    imp.accumulate(m, twice());
    expect(imp.batches).toBe(2);
    close(imp.score(g)!, expected);
    // The same through train(): lr tiny so weights barely move.
    const viaTrain = taylor({ reduction: 'first', normalizer: null });
    const opt = sgd({ lr: 1e-12 });
    await train(m, () => twice(), { optimizer: opt, epochs: 1, callbacks: [viaTrain.callback()] });
    opt.dispose();
    close(viaTrain.score(g)!, expected);
    imp.dispose();
    viaTrain.dispose();
    [x, y].forEach((t) => t.dispose());
    m.dispose();
  });
});

describe('Pruner', () => {
  it('local ratio halves every group except the classifier output; step() then returns false', () => {
    const m = smallCnn({ widths: [8, 16], hidden: 32 });
    const p = new Pruner(m, { importance: magnitude() });
    expect(p.step()).toBe(true);
    expect(['conv1', 'conv2', 'conv3', 'conv4', 'fc1', 'fc2'].map((id) => width(m, id))).toEqual([4, 4, 8, 8, 16, 10]);
    expect(p.step()).toBe(false);
    const x = tf.zeros([1, 28, 28, 1]);
    const out = m.forward(x);
    expect(out.shape).toEqual([1, 10]);
    [x, out].forEach((t) => t.dispose());
    m.dispose();
  });

  it('iterative steps follow the schedule and skip steps that would remove nothing', () => {
    const m = mlp300100({ hidden: [8] });
    const p = new Pruner(m, { importance: magnitude(), ratio: 0.25, iterativeSteps: 4 });
    expect(p.step()).toBe(true); // step 1 (floor(0.5) = 0) is skipped, step 2 removes 1
    expect(p.currentStep).toBe(2);
    expect(width(m, 'fc1')).toBe(7);
    expect(p.step()).toBe(true); // step 3 removes nothing, step 4 reaches 2
    expect(p.currentStep).toBe(4);
    expect(width(m, 'fc1')).toBe(6);
    expect(p.step()).toBe(false);
    const cubic = mlp300100({ hidden: [64] });
    const q = new Pruner(cubic, { importance: magnitude(), ratio: 0.5, iterativeSteps: 2, schedule: 'cubic' });
    q.step();
    expect(width(cubic, 'fc1')).toBe(64 - Math.floor(64 * 0.5 * (1 - 0.5 ** 3)));
    m.dispose();
    cubic.dispose();
  });

  it('removes the least important units: global ranking across groups (bnScale)', () => {
    const m = smallCnn({ widths: [8, 16], hidden: 32 });
    // Groups with BN: 8 + 8 + 16 + 16 = 48 units; 25% = 12, all of them the small gammas of bn3.
    const g3 = Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 1 : 0.01 * (i + 1)));
    set(m, 'bn3/gamma', g3);
    const before = m.params.get('conv3/kernel')!.value.arraySync() as number[][][][];
    new Pruner(m, { importance: bnScale(), ratio: 0.25, global: true }).step();
    expect(['conv1', 'conv2', 'conv3', 'conv4', 'fc1'].map((id) => width(m, id))).toEqual([8, 8, 4, 16, 32]);
    const after = m.params.get('conv3/kernel')!.value.arraySync() as number[][][][];
    expect(after[0]![0]![0]).toEqual([0, 4, 8, 12].map((i) => before[0]![0]![0]![i]));
    m.dispose();
  });

  it('ratioPerNode, ignored, roundTo and maxRatio', () => {
    const m = smallCnn({ widths: [8, 16], hidden: 32 });
    new Pruner(m, { importance: magnitude(), ratio: 0.3, ratioPerNode: { bn2: 0.75 }, ignored: ['conv4', 'fc2'], roundTo: 4 }).step();
    // conv1: 8 - floor(2.4) = 6 -> rounded up to 8 (nothing); conv2: 8 - 6 = 2 -> 4; conv3: 16 - 4 = 12; fc1: 32 - 9 = 23 -> 24.
    expect(['conv1', 'conv2', 'conv3', 'conv4', 'fc1'].map((id) => width(m, id))).toEqual([8, 4, 12, 16, 24]);
    m.dispose();
    const n = smallCnn({ widths: [8, 16], hidden: 32 });
    new Pruner(n, { importance: magnitude(), ratio: 0.9, maxRatio: 0.25 }).step();
    expect(['conv1', 'conv3', 'fc1'].map((id) => width(n, id))).toEqual([6, 12, 24]);
    n.dispose();
    const o = mlp300100();
    expect(() => new Pruner(o, { importance: magnitude(), ratio: 1 })).toThrow(ConfigError);
    o.dispose();
  });

  it('isomorphic global pruning ranks only among structurally identical groups', () => {
    const m = resnet20({ base: 4 });
    new Pruner(m, { importance: magnitude(), ratio: 0.5, global: true, isomorphic: true }).step();
    // s1b1a, s1b2a, s1b3a form one pool of 12 units: 6 removed among them.
    expect(['s1b1a_conv', 's1b2a_conv', 's1b3a_conv'].map((id) => width(m, id)).reduce((a, b) => a + b)).toBe(6);
    m.dispose();
  });

  it('stepInteractive yields the selected groups for the caller to prune', () => {
    const m = smallCnn({ widths: [8, 16], hidden: 32 });
    const p = new Pruner(m, { importance: magnitude(), ratio: 0.5 });
    const seen: string[] = [];
    for (const g of p.stepInteractive()) {
      seen.push(g.root);
      expect(g.toString()).toContain(`Group rooted at "${g.root}"`);
      if (g.root !== 'conv2') g.prune();
    }
    expect(seen).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'fc1']);
    expect(['conv1', 'conv2', 'conv3', 'fc1'].map((id) => width(m, id))).toEqual([4, 8, 8, 16]);
    expect([...p.stepInteractive()]).toEqual([]);
    m.dispose();
  });
});

describe('Network Slimming regularizer', () => {
  it('adds lambda * sign(gamma) to the BN gamma gradients only', async () => {
    const a = smallCnn({ widths: [4, 8], hidden: 16, dropout: 0 });
    set(a, 'bn1/gamma', [1, -1, 2, -0.5]);
    const b = a.clone();
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 5);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10));
    const lr = 0.1;
    const lambda = 0.01;
    const [oa, ob] = [sgd({ lr }), sgd({ lr })];
    await train(a, { x, y }, { optimizer: oa, epochs: 1, batchSize: 4 });
    await train(b, { x, y }, { optimizer: ob, epochs: 1, batchSize: 4, callbacks: [slimmingRegularizer({ lambda })] });
    oa.dispose();
    ob.dispose();
    const diff = (name: string): number[] => tf.tidy(() => Array.from(tf.sub(b.params.get(name)!.value, a.params.get(name)!.value).dataSync()));
    close(diff('bn1/gamma'), [1, -1, 1, -1].map((s) => -lr * lambda * s));
    expect(Math.max(...diff('conv1/kernel').map(Math.abs))).toBeLessThan(1e-6);
    expect(() => slimmingRegularizer({ lambda: -1 })).toThrow(ConfigError);
    [x, y].forEach((t) => t.dispose());
    a.dispose();
    b.dispose();
  });
});

// The Pruner's fast step (SIMD scoring in the wasm heap, packed-key selection, one heap copy per
// tensor) against a straightforward reference kept here: float64 sums index by index, a plain
// comparator sort, and tf.gather for the slicing.

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
