import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BonsaiError, GraphBuilder, Model, SerializationError, UnknownOpError, ShapeError, load, save } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bonsai-core-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function smallCnn(): Model {
  const b = new GraphBuilder();
  const x = b.input([8, 8, 1], { name: 'x' });
  let h = b.relu(b.batchNorm(b.conv2d(x, { filters: 4, kernel: 3, name: 'conv' }), { name: 'bn' }));
  h = b.maxPool(h);
  const y = b.dense(b.flatten(h), { units: 3, name: 'fc' });
  return Model.create(b.build(y), { seed: 5 });
}

async function savedCopy(name: string): Promise<string> {
  const m = smallCnn();
  const dir = path.join(tmp, name);
  await save(m, dir);
  m.dispose();
  return dir;
}

describe('save / load', () => {
  it('round trip is bit-exact for values, masks and outputs', async () => {
    const m = smallCnn();
    const mask = tf.tensor([1, 0, 1], [3]);
    m.param('fc', 'bias')!.setMask(mask);
    mask.dispose();
    const dir = path.join(tmp, 'rt');
    await save(m, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const unmasked = [...m.params.values()].reduce((a, p) => a + p.size * 4, 0);
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(unmasked + 3); // bool mask: 1 byte per entry
    const back = await load(dir);
    for (const [name, p] of m.params) {
      const q = back.params.get(name)!;
      expect(Array.from(q.value.dataSync())).toEqual(Array.from(p.value.dataSync()));
      expect(q.mask !== undefined).toBe(p.mask !== undefined);
      if (p.mask) expect(Array.from(q.mask!.dataSync())).toEqual(Array.from(p.mask.dataSync()));
    }
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 1);
    const a = m.forward(x);
    const bOut = back.forward(x);
    expect(Array.from(bOut.dataSync())).toEqual(Array.from(a.dataSync()));
    [x, a, bOut].forEach((t) => t.dispose());
    m.dispose();
    back.dispose();
  });

  it('corrupt (truncated) weights give a SerializationError naming the file', async () => {
    const dir = await savedCopy('trunc');
    const wf = path.join(dir, 'weights.bin');
    fs.writeFileSync(wf, fs.readFileSync(wf).subarray(0, 100));
    await expect(load(dir)).rejects.toThrow(SerializationError);
    await expect(load(dir)).rejects.toThrow(/model\.json.*100 bytes/);
  });

  it('a weight path escaping the folder is refused', async () => {
    const dir = await savedCopy('escape');
    const mf = path.join(dir, 'model.json');
    for (const bad of ['../rt/weights.bin', '/etc/passwd', '../../x.bin']) {
      const j = JSON.parse(fs.readFileSync(mf, 'utf8'));
      j.weightsManifest[0].paths = [bad];
      fs.writeFileSync(mf, JSON.stringify(j));
      await expect(load(dir)).rejects.toThrow(/escapes the model folder|absolute/);
    }
  });

  it('a symlink pointing outside the folder is refused', async () => {
    const dir = await savedCopy('link');
    const outside = path.join(tmp, 'outside.bin');
    fs.copyFileSync(path.join(dir, 'weights.bin'), outside);
    fs.symlinkSync(outside, path.join(dir, 'w2.bin'));
    const mf = path.join(dir, 'model.json');
    const j = JSON.parse(fs.readFileSync(mf, 'utf8'));
    j.weightsManifest[0].paths = ['w2.bin'];
    fs.writeFileSync(mf, JSON.stringify(j));
    await expect(load(dir)).rejects.toThrow(/outside the model folder/);
  });

  it('invalid JSON, unknown op and bad shapes give typed errors', async () => {
    const dir = await savedCopy('bad');
    const mf = path.join(dir, 'model.json');
    const good = fs.readFileSync(mf, 'utf8');
    fs.writeFileSync(mf, good.slice(0, 50));
    await expect(load(dir)).rejects.toThrow(/not valid JSON/);
    const j = JSON.parse(good);
    j.graph.nodes[1].op = 'frobnicate';
    fs.writeFileSync(mf, JSON.stringify(j));
    await expect(load(dir)).rejects.toThrow(UnknownOpError);
    await expect(load(dir)).rejects.toThrow(/"frobnicate" at node "conv"/);
    const k = JSON.parse(good);
    k.graph.nodes[1].attrs.filters = 5;
    fs.writeFileSync(mf, JSON.stringify(k));
    await expect(load(dir)).rejects.toThrow(BonsaiError);
  });

  it('no temp files are left and the old model survives a failed save', async () => {
    const dir = await savedCopy('atomic');
    const before = fs.readFileSync(path.join(dir, 'model.json'), 'utf8');
    const m = smallCnn();
    fs.chmodSync(dir, 0o500);
    try {
      if (process.getuid?.() !== 0) await expect(save(m, dir)).rejects.toThrow();
    } finally {
      fs.chmodSync(dir, 0o700);
    }
    expect(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    m.dispose();
  });
});

describe('bad graphs', () => {
  it('unknown op names the op and node', () => {
    const b = new GraphBuilder();
    const x = b.input([4], { name: 'x' });
    // The builder may refuse the op when it is added or when the graph is built.
    expect(() => {
      b.op('nope', [x], {}, 'weird');
      b.build('weird');
    }).toThrow(/Unknown op "nope" at node "weird"/);
  });

  it('shape mismatch names the node', () => {
    const b = new GraphBuilder();
    const x = b.input([4, 4, 2], { name: 'x' });
    const y = b.input([4, 4, 3], { name: 'y' });
    b.add([x, y], { name: 'sum' });
    expect(() => b.build('sum')).toThrow(ShapeError);
    expect(() => b.build('sum')).toThrow(/Node "sum"/);
  });

  it('bad attribute names the attribute and node', () => {
    const b = new GraphBuilder();
    const x = b.input([4, 4, 2], { name: 'x' });
    b.conv2d(x, { filters: 0, kernel: 3, name: 'c' });
    expect(() => b.build('c')).toThrow(/Node "c".*"filters"/);
  });

  it('wrong input tensor shape names the input node', () => {
    const b = new GraphBuilder();
    const x = b.input([4], { name: 'pixels' });
    const m = Model.create(b.build(b.dense(x, { units: 2 })));
    const t = tf.zeros([1, 5]);
    expect(() => m.forward(t)).toThrow(/Node "pixels".*\[5\]/);
    t.dispose();
    m.dispose();
  });
});
