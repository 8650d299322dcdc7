import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BackendError, BonsaiError, ConfigError, FormatError, Graph, GraphBuilder, IoError, Model, Param, SerializationError, ShapeError,
  UnknownOpError, fromArtifacts, initBackend, load, recalibrateBatchNorm, toArtifacts, train, trainableConv2d,
} from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

/** The error `f` throws (sync or async). */
async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

type Class = abstract new (...args: never[]) => Error;

/** Asserts the error's class (and that it is a BonsaiError) and that its message matches. */
function expectError(e: unknown, cls: Class, message: RegExp): void {
  expect(e).toBeInstanceOf(BonsaiError);
  expect(e, String(e)).toBeInstanceOf(cls);
  expect((e as Error).message).toMatch(message);
}

function mlp(): Model {
  const b = new GraphBuilder();
  const x = b.input([4], { name: 'x' });
  return Model.create(b.build(b.dense(b.batchNorm(b.dense(x, { units: 3, name: 'fc1' }), { name: 'bn' }), { units: 2, name: 'fc2' })));
}

describe('the public API throws typed errors (instanceof holds)', () => {
  it('absurd sizes: an input of [1e9, 1e9] and a param too large for tfjs are ShapeErrors naming the node', async () => {
    const b = new GraphBuilder();
    const x = b.input([1e9, 1e9], { name: 'huge' });
    expectError(await thrown(() => b.build(x)), ShapeError, /Node "huge".*1\.00e\+18 elements/);
    const c = new GraphBuilder();
    const y = c.dense(c.input([50_000], { name: 'x' }), { units: 50_000, name: 'fc' });
    const g = c.build(y);
    expectError(await thrown(() => Model.create(g)), ShapeError, /Node "fc", param "kernel".*2\.50e\+9 elements/);
    const d = new GraphBuilder();
    expectError(await thrown(() => d.build(d.input([4, 0], { name: 'empty' }))), BonsaiError, /empty/);
  });

  it('graph building: duplicate names, unknown nodes and ops, bad attributes, shape mismatches', async () => {
    const b = new GraphBuilder();
    const x = b.input([4], { name: 'x' });
    expectError(await thrown(() => b.input([4], { name: 'x' })), ConfigError, /Duplicate node name "x"/);
    expectError(await thrown(() => b.relu('nope')), ConfigError, /unknown node "nope"/);
    b.op('nope', [x], {}, 'weird');
    expectError(await thrown(() => b.build('weird')), UnknownOpError, /Unknown op "nope" at node "weird"/);

    const bad = new GraphBuilder();
    const y = bad.input([4], { name: 'x' });
    const e = await thrown(() => bad.build(bad.dense(y, { units: 0, name: 'fc' })));
    // Context (the node) is added without losing the class; the original is the cause.
    expectError(e, ConfigError, /^Node "fc": dense: attribute "units" must be a positive integer, got 0/);
    expect((e as Error).cause).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).details).toMatchObject({ op: 'dense', key: 'units', nodeId: 'fc' });

    const s = new GraphBuilder();
    const a = s.input([4], { name: 'a' });
    const c = s.input([5], { name: 'c' });
    const se = await thrown(() => s.build(s.add([a, c], { name: 'sum' })));
    expectError(se, ShapeError, /Node "sum": add: input 1 has shape \[5\]/);
    expect((se as ShapeError).nodeId).toBe('sum');

    expectError(await thrown(() => new Graph({ inputs: ['x'], outputs: ['x'], nodes: [{ id: 'x', op: 'relu', inputs: [], attrs: {} }] })), ConfigError, /has 0 inputs/);
    expectError(await thrown(() => mlp().graph.setAttrs(new Map([['fc1', { units: 'three' }]]))), ConfigError, /Node "fc1": dense: attribute "units"/);
  });

  it('running, training and params', async () => {
    const m = mlp();
    const x = tf.zeros([2, 4]);
    const wrong = tf.zeros([2, 5]);
    expectError(await thrown(() => m.forward(wrong)), ShapeError, /input tensor has per-sample shape \[5\], expected \[4\]/);
    expectError(await thrown(() => m.forward([x, x])), ConfigError, /Expected 1 input tensors, got 2/);
    expectError(await thrown(() => m.run(x, { capture: ['nope'] })), ConfigError, /No node "nope"/);
    expectError(await thrown(() => m.run(x, { training: true, momentum: 2 })), ConfigError, /momentum must be in \[0, 1\]/);
    expectError(await thrown(() => m.param('fc1', 'kernel')!.assign(wrong)), ShapeError, /does not fit param "fc1\/kernel"/);
    expectError(await thrown(() => m.param('fc1', 'kernel')!.setMask(wrong)), ShapeError, /mask of shape/);
    const y = tf.zeros([3, 2]);
    expectError(await thrown(() => train(m, { x, y })), ShapeError, /x has 2 samples but y has 3/);
    expectError(await thrown(() => train(m, { x, y: tf.zeros([2, 2]) }, { epochs: -1 })), ConfigError, /epochs must be a non-negative integer/);
    expectError(await thrown(() => recalibrateBatchNorm(m, [wrong])), ShapeError, /per-sample shape/);
    const p = new Param('a/b', tf.zeros([2]));
    expect(m.params.size).toBeGreaterThan(0);
    const k = tf.zeros([3, 3, 2, 4]);
    expectError(await thrown(() => trainableConv2d(tf.zeros([1, 5, 5, 3]) as tf.Tensor4D, k as tf.Tensor4D, { strides: [1, 1], pad: 'same' })), ShapeError, /in-channels 2 != input channels 3/);
    tf.dispose([x, wrong, y, k]);
    p.dispose();
    m.dispose();
  });

  it('backends, files and formats', async () => {
    expectError(await thrown(() => initBackend('gpu' as 'cpu')), BackendError, /Unknown backend "gpu"/);
    expectError(await thrown(() => load('/nonexistent/bonsai-model')), IoError, /nonexistent/);
    const m = mlp();
    const art = await toArtifacts(m);
    m.dispose();
    const broken = { ...art, weights: new ArrayBuffer(8) };
    expectError(await thrown(() => fromArtifacts(broken)), SerializationError, /bytes|truncated|size/i);
    const f = new FormatError('unsupported op', { format: 'GraphModel', node: 'n1', op: 'NonMaxSuppressionV5' });
    expectError(f, SerializationError, /^GraphModel node "n1" op "NonMaxSuppressionV5": unsupported op/);
    expect(f.details).toMatchObject({ format: 'GraphModel', node: 'n1', op: 'NonMaxSuppressionV5' });
  });

  it('withContext keeps the class, the code and subclass fields, and sets cause', () => {
    const errors: BonsaiError[] = [
      new ConfigError('bad', { key: 'k' }, { code: 'PARAM' }),
      new ShapeError('bad shape'),
      new SerializationError('bad file', 'model.json'),
      new FormatError('bad', { format: 'LayersModel' }),
      new IoError('cannot read', { path: '/x', reason: 'EACCES' }),
      new BackendError('no wasm', 'wasm'),
      new UnknownOpError('nope'),
    ];
    for (const e of errors) {
      const w = e.withContext('Node "n"', { nodeId: 'n' });
      expect(Object.getPrototypeOf(w)).toBe(Object.getPrototypeOf(e));
      expect(w.name).toBe(e.name);
      expect(w.code).toBe(e.code);
      expect(w.message).toBe(`Node "n": ${e.message}`);
      expect(w.cause).toBe(e);
      expect(w.details).toMatchObject({ ...e.details, nodeId: 'n' });
    }
    expect((errors[1]!.withContext('Node "n"', { nodeId: 'n' }) as ShapeError).nodeId).toBe('n');
    expect((errors[4]!.withContext('x') as IoError).path).toBe('/x');
  });
});
