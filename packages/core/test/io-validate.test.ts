import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, IoError, Model, SerializationError, fromArtifacts, load, save, toArtifacts, type ModelJSON } from '../src/index';
import { useWasm } from './helpers';
import { caught } from './io-helpers';

beforeAll(useWasm);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bonsai-validate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function mlp(seed = 1): Model {
  const b = new GraphBuilder();
  const x = b.input([4], { name: 'x' });
  return Model.create(b.build(b.dense(b.relu(b.dense(x, { units: 5, name: 'fc1' })), { units: 3, name: 'fc2' })), { seed });
}

async function savedCopy(name: string): Promise<string> {
  const m = mlp();
  const dir = path.join(tmp, name);
  await save(m, dir);
  m.dispose();
  return dir;
}


const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

describe('load checks sizes and file kinds before reading', () => {
  it('a FIFO named weights.bin (or model.json) is refused at once instead of hanging', async () => {
    const dir = await savedCopy('fifo');
    for (const name of ['weights.bin', 'model.json']) {
      const f = path.join(dir, name);
      const keep = fs.readFileSync(f);
      fs.rmSync(f);
      execFileSync('mkfifo', [f]);
      const t = Date.now();
      const e = await caught(load(dir));
      expect(Date.now() - t).toBeLessThan(2000);
      expect(e).toBeInstanceOf(IoError);
      expect((e as IoError).reason).toBe('NOT_A_FILE');
      expect((e as Error).message).toContain(`${f}: is a named pipe (FIFO)`);
      fs.rmSync(f);
      fs.writeFileSync(f, keep);
    }
  });

  it('a folder where weights.bin should be is EISDIR', async () => {
    const dir = await savedCopy('isdir');
    fs.rmSync(path.join(dir, 'weights.bin'));
    fs.mkdirSync(path.join(dir, 'weights.bin'));
    const e = await caught(load(dir));
    expect(e).toBeInstanceOf(IoError);
    expect((e as IoError).reason).toBe('EISDIR');
  });

  it('a 1.5 GB weights.bin for a manifest of a few hundred bytes is refused from its size, without reading it', async () => {
    const dir = await savedCopy('huge');
    fs.truncateSync(path.join(dir, 'weights.bin'), 1.5e9); // sparse: takes no disk
    const rss = rssMb();
    const t = Date.now();
    const e = await caught(load(dir));
    expect(e).toBeInstanceOf(SerializationError);
    expect((e as Error).message).toMatch(/weights hold 1500000000 bytes, the manifest describes \d+ bytes \(truncated or corrupt\)/);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(rssMb() - rss).toBeLessThan(200);
  });

  it('weights over 2 GiB are an IoError TOO_LARGE (file or manifest)', async () => {
    const dir = await savedCopy('over2g');
    fs.truncateSync(path.join(dir, 'weights.bin'), 3 * 2 ** 30);
    const e = await caught(load(dir));
    expect(e).toBeInstanceOf(IoError);
    expect((e as IoError).reason).toBe('TOO_LARGE');
    expect((e as IoError).path).toBe(path.join(dir, 'weights.bin'));
    const mf = path.join(dir, 'model.json');
    const j = JSON.parse(fs.readFileSync(mf, 'utf8')) as ModelJSON;
    j.weightsManifest[0]!.weights[0]!.shape = [2 ** 20, 2 ** 10];
    fs.writeFileSync(mf, JSON.stringify(j));
    const m = await caught(load(dir));
    expect(m).toBeInstanceOf(IoError);
    expect((m as Error).message).toMatch(/model\.json: the manifest describes \d+ bytes of weights, over the 2147483647-byte limit \(TOO_LARGE\)/);
  });

  it('a missing weight file is an IoError ENOENT naming it', async () => {
    const dir = await savedCopy('nofile');
    fs.rmSync(path.join(dir, 'weights.bin'));
    const e = await caught(load(dir));
    expect(e).toBeInstanceOf(IoError);
    expect((e as IoError).reason).toBe('ENOENT');
    expect((e as IoError).path).toBe(path.join(dir, 'weights.bin'));
  });
});

describe('loaded weights are checked before they are trusted', () => {
  async function artifacts(): Promise<{ json: ModelJSON; weights: ArrayBuffer }> {
    const m = mlp(2);
    const art = await toArtifacts(m);
    m.dispose();
    return art;
  }

  it('NaN or Infinity weights are refused naming the param, unless allowNonFinite', async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const art = await artifacts();
      const specs = art.json.weightsManifest[0]!.weights;
      const idx = specs.findIndex((s) => s.name === 'fc2/kernel');
      const offset = specs.slice(0, idx).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * 4, 0);
      new DataView(art.weights).setFloat32(offset + 4 * 7, bad, true);
      const before = tf.memory().numTensors;
      expect(() => fromArtifacts(art)).toThrow(SerializationError);
      expect(() => fromArtifacts(art)).toThrow(/param "fc2\/kernel" holds NaN or Infinity \(at element 7\); pass allowNonFinite: true/);
      expect(tf.memory().numTensors).toBe(before);
      const m = fromArtifacts(art, { allowNonFinite: true });
      const v = m.param('fc2', 'kernel')!.value.dataSync()[7]!;
      expect(Number.isNaN(bad) ? Number.isNaN(v) : v === bad).toBe(true);
      m.dispose();
    }
  });

  it('through load() too, with the file named', async () => {
    const dir = await savedCopy('nan');
    const wf = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(wf);
    bytes.writeFloatLE(NaN, 0);
    fs.writeFileSync(wf, bytes);
    await expect(load(dir)).rejects.toThrow(new RegExp(`${path.join(dir, 'model.json')}: param "fc1/kernel" holds NaN`));
    const m = await load(dir, { allowNonFinite: true });
    m.dispose();
  });

  it('a float16 weight holding Inf is refused too', async () => {
    const art = await artifacts();
    const specs = art.json.weightsManifest[0]!.weights;
    // Re-encode fc2/bias (the last entry) as float16: 3 values -> 6 bytes, the middle one +Inf (0x7c00).
    const last = specs[specs.length - 1]!;
    expect(last.name).toBe('fc2/bias');
    last.quantization = { dtype: 'float16' };
    const head = art.weights.byteLength - 12;
    const w = new Uint8Array(head + 6);
    w.set(new Uint8Array(art.weights, 0, head));
    new DataView(w.buffer).setUint16(head + 2, 0x7c00, true);
    expect(() => fromArtifacts({ json: art.json, weights: w.buffer })).toThrow(/param "fc2\/bias" holds NaN or Infinity \(at element 1\)/);
  });

  it('a manifest dtype that is not what the op expects is refused naming the param', async () => {
    const art = await artifacts();
    art.json.weightsManifest[0]!.weights.find((s) => s.name === 'fc1/kernel')!.dtype = 'int32';
    expect(() => fromArtifacts(art)).toThrow(/param "fc1\/kernel": the manifest declares dtype int32, the op expects float32/);
  });

  it('uint8-quantized entries need finite scale and min', async () => {
    const art = await artifacts();
    const e = art.json.weightsManifest[0]!.weights[0]!;
    e.quantization = { dtype: 'uint8', scale: NaN, min: 0 };
    expect(() => fromArtifacts(art)).toThrow(/quantization needs finite "scale" and "min"/);
  });
});
