import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, GraphBuilder, Model, initBackend, plainTraits, registerOp, type OpSpec } from '@bonsai/core';
import { describe, expect, it } from 'vitest';
import * as graphApi from '../src/index';
import { DependencyGraph, Group } from '../src/index';
import { keepAlongAxes } from '../src/slice-tensor';
import { maxAbsDiff, useWasmWithoutLeaks, zeroGroup } from './helpers';

useWasmWithoutLeaks();

/** A two-input op whose params each read one input: y = a Wa + b Wb (Wb's inAxis indexes input 1). */
const mixDense: OpSpec<{ units: number }> = {
  ...plainTraits,
  name: 'testMixDense',
  arity: 2,
  attrSchema: {},
  normalizeAttrs: (a) => ({ units: Number(a.units) }),
  inferShape: ([a], attrs) => [...a!.slice(0, -1), attrs.units],
  paramShapes: ([a, b], attrs) => ({
    wa: { shape: [a![a!.length - 1]!, attrs.units], init: 'glorotUniform', trainable: true, inAxis: 0, outAxis: 1 },
    wb: { shape: [b![b!.length - 1]!, attrs.units], init: 'glorotUniform', trainable: true, inAxis: 0, inInput: 1, outAxis: 1 },
  }),
  forward: ([a, b], p) => tf.add(tf.matMul(a as tf.Tensor2D, p.wa as tf.Tensor2D), tf.matMul(b as tf.Tensor2D, p.wb as tf.Tensor2D)),
  macs: ([a, b], _o, attrs) => (a![0]! + b![0]!) * attrs.units,
  channelRule: () => ({ kind: 'reduce' }),
  adaptAttrs: (_attrs, change) => ({ units: change.paramShapes.wa![1]! }),
};
registerOp(mixDense);

function mixNet(): Model {
  const b = new GraphBuilder();
  const x = b.input([5], { name: 'input' });
  const a = b.relu(b.dense(x, { units: 4, name: 'da' }), { name: 'ra' });
  const c = b.relu(b.dense(x, { units: 6, name: 'db' }), { name: 'rb' });
  const m = b.op('testMixDense', [a, c], { units: 3 }, 'mix');
  return Model.create(b.build(b.dense(m, { units: 2, name: 'out' })), { seed: 4 });
}

describe('keepAlongAxes', () => {
  it('equals tf.gather along each cut axis (one or several axes, masks as float, int32)', () => {
    const shape = [3, 2, 5, 4];
    const x = tf.tidy(() => tf.reshape(tf.range(0, 120), shape));
    const cases: Array<Array<{ axis: number; keep: number[] }>> = [
      [{ axis: 3, keep: [0, 2, 3] }],
      [{ axis: 2, keep: [1, 4] }],
      [{ axis: 2, keep: [0, 3] }, { axis: 3, keep: [1] }],
      [{ axis: 0, keep: [2] }, { axis: 3, keep: [0, 3] }],
      [],
    ];
    for (const cuts of cases) {
      const got = keepAlongAxes(x, cuts);
      const want = tf.tidy(() => cuts.reduce((t, c) => tf.gather(t, tf.tensor1d(c.keep, 'int32'), c.axis), tf.clone(x)));
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([got, want]);
    }
    // Longer kept lists: the copy kernels' four-at-a-time loop and its tail (8 = 2 x 4, 7 = 4 + 3), blocks of 11.
    const y = tf.tidy(() => tf.reshape(tf.range(0, 462), [2, 3, 7, 11]));
    for (const cuts of [[{ axis: 3, keep: [0, 1, 2, 4, 5, 7, 9, 10] }], [{ axis: 1, keep: [0, 2] }, { axis: 3, keep: [0, 1, 2, 3, 4, 5, 6] }], [{ axis: 2, keep: [0, 1, 3, 4, 5, 6] }]]) {
      const got = keepAlongAxes(y, cuts);
      const want = tf.tidy(() => cuts.reduce((t, c) => tf.gather(t, tf.tensor1d(c.keep, 'int32'), c.axis), tf.clone(y)));
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([got, want]);
    }
    y.dispose();
    const xi = tf.tidy(() => tf.cast(x, 'int32'));
    const gi = keepAlongAxes(xi, [{ axis: 1, keep: [1] }]);
    expect(gi.dtype).toBe('int32');
    tf.dispose([xi, gi, x]);
  });

  it('gives the same result through dataSync on the cpu backend (no heap view there)', async () => {
    const data = Array.from({ length: 60 }, (_, i) => i * 0.5 - 7);
    const cuts = [{ axis: 1, keep: [0, 2] }, { axis: 2, keep: [1, 3, 4] }];
    const onWasm = tf.tidy(() => Array.from(keepAlongAxes(tf.tensor(data, [2, 6, 5]), cuts).dataSync()));
    await initBackend('cpu');
    try {
      const onCpu = tf.tidy(() => Array.from(keepAlongAxes(tf.tensor(data, [2, 6, 5]), cuts).dataSync()));
      expect(onCpu).toEqual(onWasm);
    } finally {
      await initBackend('wasm');
    }
  });

  it('rejects unsorted, repeated, fractional or out-of-range positions and bad axes with ConfigError', () => {
    const x = tf.zeros([2, 3]);
    for (const cuts of [[{ axis: 1, keep: [2, 1] }], [{ axis: 1, keep: [1, 1] }], [{ axis: 1, keep: [3] }], [{ axis: 1, keep: [0, 1.5] }], [{ axis: 1, keep: [-1] }], [{ axis: 1, keep: Int32Array.from([0, 0]) }], [{ axis: 2, keep: [0] }], [{ axis: 0, keep: [0] }, { axis: 0, keep: [1] }]]) {
      expect(() => keepAlongAxes(x, cuts)).toThrow(ConfigError);
    }
    x.dispose();
  });
});

describe('multi-input ops: params sliced per input (ParamSpec.inInput)', () => {
  it('pruning the producer of input 1 slices wb, not wa, and preserves the output of the zeroed model', () => {
    const m = mixNet();
    const ref = m.clone();
    const dg = DependencyGraph.build(m);
    const g = dg.group('db', 'out', [1, 4]);
    const members = g.members().map((x) => `${x.name}:${x.side}:${x.axis}:${x.indices.join(',')}`);
    expect(members).toContain('mix/wb:in:0:1,4');
    expect(members.some((s) => s.startsWith('mix/wa'))).toBe(false);
    zeroGroup(ref, dg.group('db', 'out', [1, 4]));
    g.prune();
    expect(m.param('mix', 'wb')!.shape).toEqual([4, 3]);
    expect(m.param('mix', 'wa')!.shape).toEqual([4, 3]);
    const x = tf.randomNormal([7, 5], 0, 1, 'float32', 3);
    const y = m.forward(x);
    const yRef = ref.forward(x);
    expect(maxAbsDiff(y, yRef)).toBeLessThan(1e-5);
    // The mix node's own outputs are one group: both params lose the same output column.
    dg.group('mix', 'out', [0]).prune();
    expect(m.param('mix', 'wa')!.shape).toEqual([4, 2]);
    expect(m.param('mix', 'wb')!.shape).toEqual([4, 2]);
    expect(m.param('out', 'kernel')!.shape).toEqual([2, 2]);
    tf.dispose([x, y, yRef]);
    m.dispose();
    ref.dispose();
  });
});

describe('exported surface', () => {
  it('keeps the graph internals private and validates hand-made groups', () => {
    expect(Object.keys(graphApi).sort()).toEqual(['DependencyGraph', 'Group', 'InternalGroup', 'OUT', 'RemovalBudget', 'inAxisIndex', 'internalGroups', 'mapChannels', 'modelStats']);
    const m = mixNet();
    const dg = DependencyGraph.build(m);
    expect(() => new Group(dg, 'da', [dg.unitCount])).toThrow(ConfigError);
    expect(() => new Group(dg, 'da', [2, 1])).toThrow(ConfigError);
    expect(() => new Group(dg, 'nope', [0])).toThrow();
    expect(() => new Group({} as DependencyGraph, 'da', [0])).toThrow(ConfigError);
    expect(() => new Group(dg, 'da', [0], { roundTo: 0, maxRatio: 1, initialUnits: 1 })).toThrow(ConfigError);
    m.dispose();
  });
});
