import { getOp, GraphBuilder, Model, type NodeId } from '@bonsai/core';
import { concatNet, lenet5, mobileNet, resnet20, vit } from '@bonsai/models';
import { describe, expect, it } from 'vitest';
import { DependencyGraph, inAxisIndex, mapChannels, OUT, type Group } from '../src/index';
import { everyOther, useWasmWithoutLeaks } from './helpers';

useWasmWithoutLeaks();

/**
 * Every index mapping in one net: a depthwise conv with multiplier 2, a 4-group conv, a residual
 * add, concat, splits (of a concat and of a conv's channels) and flatten.
 */
function mappingNet(): Model {
  const b = new GraphBuilder();
  const x = b.input([4, 4, 3], { name: 'input' });
  const stem = b.relu(b.batchNorm(b.conv2d(x, { filters: 8, kernel: 3, padding: 'same', name: 'stem' }), { name: 'stem_bn' }), { name: 'stem_relu' });
  const dw = b.batchNorm(b.depthwiseConv2d(stem, { kernel: 3, padding: 'same', multiplier: 2, name: 'dw' }), { name: 'dw_bn' });
  const grouped = b.conv2d(dw, { filters: 8, kernel: 1, groups: 4, name: 'grouped' });
  const short = b.conv2d(stem, { filters: 8, kernel: 1, name: 'short' });
  const sum = b.relu(b.add([grouped, short], { name: 'sum' }), { name: 'sum_relu' });
  const cat = b.concat([sum, stem], { name: 'cat' });
  const [s0, s1] = b.split(cat, { sizes: [6, 10], name: 'split' }) as [NodeId, NodeId];
  const p0 = b.conv2d(s0, { filters: 4, kernel: 1, name: 'p0' });
  const p1 = b.conv2d(s1, { filters: 4, kernel: 1, name: 'p1' });
  // A split of a conv's own channels: channel 2 ends piece 0, channel 3 starts piece 1 (adjacent atoms, not one strip).
  const [t0, t1] = b.split(b.relu(b.conv2d(stem, { filters: 8, kernel: 1, name: 'c2' }), { name: 'c2_relu' }), { sizes: [3, 5], name: 'tsplit' }) as [NodeId, NodeId];
  const q0 = b.conv2d(t0, { filters: 2, kernel: 1, name: 'q0' });
  const q1 = b.conv2d(t1, { filters: 2, kernel: 1, name: 'q1' });
  const h = b.flatten(b.concat([p0, p1, q0, q1], { name: 'pcat' }), { name: 'flatten' });
  const fc = b.relu(b.dense(h, { units: 6, name: 'fc1' }), { name: 'fc1_relu' });
  return Model.create(b.build(b.dense(fc, { units: 3, name: 'out' })), { seed: 3 });
}

/** Last axis of a shape. */
const widthOf = (shape: readonly number[]): number => (shape.length ? shape[shape.length - 1]! : 1);

/**
 * The members of `group` derived channel by channel, independently of the graph's units and runs:
 * a plain union-find over (node, channel) atoms from the op registry's channel rules on the
 * model's *current* shapes; each unit is found from its root channel, then every coupled channel
 * of every node is listed with its param axes. Returns `name|axis|side` -> [position, unit] pairs,
 * ascending by position (a position shared by several units keeps the first).
 */
function referenceMembers(model: Model, group: Group): Map<string, Array<[number, number]>> {
  const graph = model.graph;
  const nodes = graph.nodes;
  const index = new Map(nodes.map((n, i) => [n.id, i] as const));
  const widths = nodes.map((n) => widthOf(graph.shape(n.id)));
  const base = [0];
  for (const w of widths) base.push(base[base.length - 1]! + w);
  const parent = Array.from({ length: base[nodes.length]! }, (_, a) => a);
  const find = (a: number): number => {
    let r = a;
    while (parent[r] !== r) r = parent[r]!;
    return r;
  };
  const rules = nodes.map((n) => getOp(n.op, n.id).channelRule(graph.inputShapes(n.id), n.attrs));
  nodes.forEach((n, i) => {
    const atom = (port: number, c: number) => base[port === OUT ? i : index.get(n.inputs[port]!)!]! + c;
    mapChannels(rules[i]!, n.inputs.map((id) => widths[index.get(id)!]!), widths[i]!, {
      link: (a, ca, b, cb) => {
        parent[find(atom(a, ca))] = find(atom(b, cb));
      },
      lock: () => undefined,
    });
  });
  const root = index.get(group.root)!;
  const unitOf = new Map<number, number>();
  group.unitIdxs().forEach((positions, u) => {
    for (const p of positions) unitOf.set(find(base[root]! + p), u);
  });
  const out = new Map<string, Map<number, number>>();
  const add = (key: string, pos: number, u: number) => {
    const m = out.get(key) ?? new Map<number, number>();
    if (!m.has(pos) || m.get(pos)! > u) m.set(pos, u);
    out.set(key, m);
  };
  nodes.forEach((n, i) => {
    for (let c = 0; c < widths[i]!; c++) {
      const u = unitOf.get(find(base[i]! + c));
      if (u === undefined) continue;
      for (const [role, s] of Object.entries(graph.paramSpecs(n.id))) if (s.outAxis !== undefined) add(`${n.id}/${role}|${s.outAxis}|out`, c, u);
      for (const consumer of new Set(graph.consumers(n.id))) {
        const m = graph.node(consumer);
        const rule = rules[index.get(consumer)!]!;
        for (const [role, s] of Object.entries(graph.paramSpecs(consumer))) {
          if (s.inAxis === undefined || m.inputs[s.inInput ?? 0] !== n.id) continue;
          add(`${consumer}/${role}|${s.inAxis}|in`, inAxisIndex(rule, c, widths[i]!), u);
        }
      }
    }
  });
  return new Map([...out].map(([k, m]) => [k, [...m].sort((a, b) => a[0] - b[0])] as const));
}

/** The group's members in the same form, checking that runs and indices/units agree. */
function graphMembers(group: Group): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const m of group.members()) {
    const pairs: Array<[number, number]> = [];
    for (let r = 0; r < m.runs.length; r += 3) {
      expect(m.runs[r + 2], `${m.name}: empty run`).toBeGreaterThan(0);
      for (let j = 0; j < m.runs[r + 2]!; j++) pairs.push([m.runs[r]! + j, m.runs[r + 1]! + j]);
    }
    pairs.forEach(([p], k) => k > 0 && expect(p, `${m.name}: runs ascending and disjoint`).toBeGreaterThan(pairs[k - 1]![0]));
    expect(pairs.map(([p]) => p), m.name).toEqual([...m.indices]);
    expect(pairs.map(([, u]) => u), m.name).toEqual([...m.units]);
    out.set(`${m.name}|${m.axis}|${m.side}`, pairs);
  }
  return out;
}

/** Checks every group's members (full groups, single units, every other unit) against the reference. */
function checkAll(model: Model, dg: DependencyGraph): number {
  let runs = 0;
  for (const g of dg.groups()) {
    for (const sub of [g, g.select([0]), g.select(Array.from({ length: Math.ceil(g.size / 2) }, (_, i) => 2 * i)), g.select([g.size - 1])]) {
      const want = referenceMembers(model, sub);
      expect(graphMembers(sub), `group rooted at ${sub.root} (${sub.size} units)`).toEqual(want);
    }
    for (const m of g.members()) runs += m.runs.length / 3;
  }
  return runs;
}

const models: Record<string, () => Model> = {
  'depthwise x2, grouped, residual, concat, split, flatten': mappingNet,
  concatNet: () => concatNet({ inputShape: [8, 8, 1] }),
  'mobileNet (depthwise)': () => mobileNet({ widths: [8, 16, 16, 24] }),
  'lenet5 (flatten)': () => lenet5(),
  'resnet20 (residual)': () => resnet20({ base: 4 }),
  'vit (attention, layer norm)': () => vit({ dim: 8, heads: 2 }),
};

describe('members as position runs equal a per-channel reference', () => {
  for (const [name, make] of Object.entries(models)) {
    it(name, () => {
      const model = make();
      const dg = DependencyGraph.build(model);
      const runs = checkAll(model, dg);
      // Strips compress: far fewer runs than positions in the full groups.
      let positions = 0;
      for (const g of dg.groups()) for (const m of g.members()) positions += m.indices.length;
      expect(runs).toBeLessThan(positions);
      // After pruning every other unit of each group, positions are renumbered and strips broken.
      dg.prune([...dg.groups()].map(everyOther).filter((g) => dg.check(g)));
      checkAll(model, dg);
      model.dispose();
    });
  }
});
