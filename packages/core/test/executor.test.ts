import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, Param, denseOp, registerOp, type OpSpec } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

/** A dense op that counts how often its params are declared (a spy on the executor's planning). */
let paramShapeCalls = 0;
const countingDense: OpSpec = {
  ...(denseOp as unknown as OpSpec),
  name: 'countingDense',
  paramShapes(shapes, attrs) {
    paramShapeCalls++;
    return denseOp.paramShapes(shapes, attrs as never);
  },
};
registerOp(countingDense);

function mlp(seed = 3): Model {
  const b = new GraphBuilder();
  const x = b.input([6], { name: 'x' });
  const h = b.dropout(b.relu(b.op('countingDense', [x], { units: 8 }, 'fc1')), { rate: 0.5, name: 'drop' });
  return Model.create(b.build(b.dense(h, { units: 3, name: 'fc2' })), { seed });
}

describe('executor: no hidden state, one plan per graph version', () => {
  let x: tf.Tensor;
  beforeAll(() => {
    x = tf.randomUniform([4, 6], -1, 1, 'float32', 7);
  });
  afterAll(() => x.dispose());

  it('inference never advances the dropout stream: later training passes are the same', () => {
    const a = mlp();
    const b = mlp();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(b.forward(x));
    const ya = a.forward(x, { training: true });
    const yb = b.forward(x, { training: true });
    expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
    // ... and training passes do advance it (two passes drop different units).
    const ya2 = a.forward(x, { training: true });
    expect(Array.from(ya2.dataSync())).not.toEqual(Array.from(ya.dataSync()));
    tf.dispose([ya, yb, ya2]);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    b.dispose();
  });

  it('inference is a pure function of inputs and params', () => {
    const m = mlp();
    const y1 = m.forward(x);
    const y2 = m.forward(x);
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    tf.dispose([y1, y2]);
    m.dispose();
  });

  it('graph.nodes is one array per version; paramSpecs and the plan are computed once per version', () => {
    const m = mlp();
    const g = m.graph;
    expect(g.nodes).toBe(g.nodes);
    expect(g.paramSpecs('fc1')).toBe(g.paramSpecs('fc1'));
    paramShapeCalls = 0;
    for (let i = 0; i < 4; i++) tf.dispose(m.forward(x));
    tf.dispose(m.forward(x, { training: true }));
    expect(paramShapeCalls, 'no re-planning per call').toBe(0);
    const nodes = g.nodes;
    const v = g.version;
    g.setAttrs(new Map([['fc1', { units: 8, useBias: false }]]));
    expect(g.version).toBe(v + 1);
    expect(g.nodes).not.toBe(nodes);
    // A mutation re-plans once: the stale bias param is no longer fed to the op.
    paramShapeCalls = 0;
    expect(Object.keys(g.paramSpecs('fc1'))).toEqual(['kernel']);
    const before = tf.tidy(() => m.forward(x).dataSync());
    tf.dispose(m.forward(x));
    expect(paramShapeCalls).toBe(1);
    const expected = tf.tidy(() => {
      const h = tf.relu(tf.matMul(x, m.param('fc1', 'kernel')!.value));
      return tf.add(tf.matMul(h, m.param('fc2', 'kernel')!.value), m.param('fc2', 'bias')!.value).dataSync();
    });
    expect(Array.from(before).map((v) => Math.round(v * 1e5))).toEqual(Array.from(expected).map((v) => Math.round(v * 1e5)));
    m.dispose();
  });

  it('a failed setAttrs changes nothing, not even the version', () => {
    const m = mlp();
    expect(() => m.graph.setAttrs(new Map([['fc1', { units: -1 }]]))).toThrow(/units/);
    expect(m.graph.version).toBe(0);
    m.dispose();
  });
});

describe('Param.assign / Param.replace leave no tensors behind (outside tf.tidy)', () => {
  it('assign, replace, setMask, bake, dropMask', () => {
    const p = new Param('n/kernel', tf.zeros([2, 3]));
    const before = tf.memory().numTensors;
    const v = tf.ones([2, 3]);
    p.assign(v);
    const ints = tf.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
    p.assign(ints);
    expect(Array.from(p.value.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    const w = tf.ones([4]);
    const m = tf.tensor([1, 0, 1, 0]);
    p.replace(w, m);
    expect(p.shape).toEqual([4]);
    p.replace(ints);
    const ones = tf.onesLike(ints);
    p.setMask(ones);
    p.bake();
    p.setMask(ones);
    p.dropMask();
    tf.dispose([v, ints, w, m, ones]);
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });
});

describe('Model.activations', () => {
  it('returns what run() captures, runs only the nodes the probes depend on, and leaks nothing', () => {
    const visited: string[] = [];
    class Spy extends Model {
      protected override nodeOutput(nodeId: string, value: tf.Tensor): tf.Tensor {
        visited.push(nodeId);
        return value;
      }
    }
    const base = mlp();
    const m = new Spy(base.graph, base.params, base.seed);
    const x = tf.randomUniform([4, 6], -1, 1, 'float32', 9);
    const before = tf.memory().numTensors;
    const full = m.run(x, { capture: ['fc1'] });
    expect(visited).toContain('fc2');
    visited.length = 0;
    const got = m.activations(x, ['fc1']);
    expect(visited).toEqual(['x', 'fc1']);
    expect(Array.from(got.fc1!.dataSync())).toEqual(Array.from(full.captured.fc1!.dataSync()));
    tf.dispose([full.output, ...full.outputs, full.captured.fc1!, got.fc1!]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    base.dispose();
  });
});
