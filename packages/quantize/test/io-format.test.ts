import { deflateSync } from 'node:zlib';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, GraphBuilder, Model, SerializationError } from '@bonsai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromQuantizedArtifacts, inflate, loadQuantized, QuantizedModel, quantizeDynamic, saveQuantized, toQuantizedArtifacts, type QuantizedArtifacts } from '../src/index';
import { fuzzQuantizedBytes } from './fuzz';
import { outputOf, tinyCnn, useWasm } from './helpers';

let dir: string;
let model: Model;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(join(tmpdir(), 'bonsai-qio-'));
  model = tinyCnn(3);
});
afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

describe('decompression bomb', () => {
  it('inflate stops at maxOutputLength (Node zlib)', async () => {
    const zeros = deflateSync(new Uint8Array(4 * 2 ** 20));
    await expect(inflate(zeros, { maxOutputLength: 1000 })).rejects.toThrow(RangeError);
    expect((await inflate(zeros, { maxOutputLength: 4 * 2 ** 20 })).length).toBe(4 * 2 ** 20);
  });

  it('a weights.q.bin that inflates past the declared byteLength is refused without inflating it all', async () => {
    const q = quantizeDynamic(model);
    const sub = join(dir, 'bomb');
    await saveQuantized(q, sub);
    const json = JSON.parse(await readFile(join(sub, 'model.json'), 'utf8')) as { quantization: { byteLength: number } };
    // 64 MiB of zeros deflate to ~65 KB (a 1.5 MB stream would be 1.5 GB); the manifest declares a few hundred bytes.
    const bomb = deflateSync(Buffer.alloc(2 ** 26), { level: 9 });
    expect(bomb.length).toBeLessThan(2 ** 26 / 500);
    await writeFile(join(sub, 'weights.q.bin'), bomb);
    const rss = rssMb();
    const t = Date.now();
    const e = await caught(loadQuantized(sub));
    expect(e).toBeInstanceOf(SerializationError);
    // Refused from the file size already: an honest deflate stream of N bytes is at most ~N + N/4096 + 77.
    expect((e as Error).message).toMatch(new RegExp(`weights.q.bin is ${bomb.length} bytes, more than the \\d+ bytes its declared ${json.quantization.byteLength}-byte content can take`));
    // In memory (no file size to check) the inflate limit stops it.
    const art = await toQuantizedArtifacts(q);
    const inMemory = await caught(fromQuantizedArtifacts({ ...art, quantized: new Uint8Array(bomb) }));
    expect((inMemory as Error).message).toMatch(/inflates to more than the \d+ bytes the manifest declares \(corrupt, or a decompression bomb\)/);
    expect(Date.now() - t).toBeLessThan(3000);
    expect(rssMb() - rss).toBeLessThan(300);
    q.dispose();
  });

  it('a small bomb within the file-size bound still stops at the declared size', async () => {
    const q = quantizeDynamic(model);
    const art = await toQuantizedArtifacts(q);
    const raw = await inflate(art.quantized);
    const bigger = deflateSync(Buffer.concat([Buffer.from(raw), Buffer.alloc(50)]));
    const e = await caught(fromQuantizedArtifacts({ ...art, quantized: new Uint8Array(bigger) }));
    expect(e).toBeInstanceOf(SerializationError);
    expect((e as Error).message).toMatch(/inflates to more than/);
    q.dispose();
  });
});

describe('validated loads', () => {
  it('NaN in the float weights (biases) is refused naming the param; allowNonFinite loads it', async () => {
    const q = quantizeDynamic(model);
    const art = await toQuantizedArtifacts(q);
    const spec = art.json.weightsManifest[0]!.weights[0]!;
    new DataView(art.weights).setFloat32(0, NaN, true);
    await expect(fromQuantizedArtifacts(art)).rejects.toThrow(new RegExp(`param "${spec.name}" holds NaN or Infinity`));
    (await fromQuantizedArtifacts(art, { allowNonFinite: true })).dispose();
    q.dispose();
  });

  it('integer ranges that do not fit the bit width, and shapes that do not fit the op, are refused', async () => {
    const q = quantizeDynamic(model);
    const art = await toQuantizedArtifacts(q);
    const w = art.json.quantization.weights[0]!;
    const bad1 = structuredClone(art.json);
    bad1.quantization.weights[0]!.qmax = 300;
    await expect(fromQuantizedArtifacts({ ...art, json: bad1 })).rejects.toThrow(/does not fit signed 8-bit integers/);
    const bad2 = structuredClone(art.json);
    bad2.quantization.weights[0]!.shape = [...w.shape.slice(0, -1), w.shape[w.shape.length - 1]! * 2];
    bad2.quantization.weights[0]!.channels = bad2.quantization.weights[0]!.axis === null ? 1 : bad2.quantization.weights[0]!.shape[bad2.quantization.weights[0]!.axis!]!;
    await expect(fromQuantizedArtifacts({ ...art, json: bad2 })).rejects.toThrow(new RegExp(`weight "${w.name}" has shape .* the op expects`));
    const bad3 = structuredClone(art.json);
    bad3.quantization.weights[0]!.name = 'nowhere/kernel';
    await expect(fromQuantizedArtifacts({ ...art, json: bad3 })).rejects.toThrow(/"nowhere\/kernel" is not a param of the model/);
    q.dispose();
  });

  it('a FIFO or folder as weights.q.bin is an IoError', async () => {
    const q = quantizeDynamic(model);
    const sub = join(dir, 'kinds');
    await saveQuantized(q, sub);
    await rm(join(sub, 'weights.q.bin'));
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(sub, 'weights.q.bin')]);
    await expect(loadQuantized(sub)).rejects.toThrow(/weights\.q\.bin: is a named pipe \(FIFO\)/);
    q.dispose();
  });

  it('a truncated weights.q.bin (stat says so) is a SerializationError', async () => {
    const q = quantizeDynamic(model);
    const sub = join(dir, 'trunc');
    await saveQuantized(q, sub, { compress: false });
    await truncate(join(sub, 'weights.q.bin'), 5);
    await expect(loadQuantized(sub)).rejects.toThrow(SerializationError);
    q.dispose();
  });
});

describe('a quantized model changed after quantization', () => {
  it('saving one whose kernel was sliced (as structured pruning does) is refused before anything is written', async () => {
    const q = quantizeDynamic(model);
    const name = [...q.quantizedWeights.keys()].find((k) => k.startsWith('conv1/'))!;
    const p = q.params.get(name)!;
    const sliced = tf.slice(p.value, [0, 0, 0, 0], [3, 3, 1, 2]);
    p.replace(sliced);
    sliced.dispose();
    const sub = join(dir, 'pruned-int8');
    const e = await caught(saveQuantized(q, sub));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(new RegExp(`param "${name}" has shape \\[3, 3, 1, 2\\] but its quantized integers have shape \\[3, 3, 1, 4\\].*Prune the float model, then quantize`));
    await expect(readdir(sub)).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.includes('pruned-int8'))).toEqual([]);
    q.dispose();
  });
});

describe('what the int8 format cannot hold', () => {
  it('per-channel activation parameters (simulation only) are refused, not saved as their first scale', async () => {
    const q = quantizeDynamic(model);
    const node = q.graph.inputs[0]!;
    const acts = new Map([[node, { scale: Float32Array.of(0.1, 0.2), zeroPoint: Int32Array.of(0, 0), axis: 3, qmin: -128, qmax: 127, bits: 8, signed: true, symmetric: true }]]);
    const copy = q.clone();
    const perChannel = new QuantizedModel(copy.graph, copy.params, copy.seed, 'static', copy.quantizedWeights, acts);
    const e = await caught(toQuantizedArtifacts(perChannel));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(new RegExp(`activation of "${node}" has 2 per-channel scales`));
    [q, perChannel].forEach((m) => m.dispose());
  });
});

describe('fuzzing weights.q.bin', () => {
  it('10,000 cases (bit flips, truncation, padding; deflated and raw): only typed errors, no leak', async () => {
    const b = new GraphBuilder();
    const mlp = Model.create(b.build(b.dense(b.relu(b.dense(b.input([8], { name: 'x' }), { units: 6, name: 'fc1' })), { units: 3, name: 'fc2' })), { seed: 2 });
    const q = quantizeDynamic(mlp);
    mlp.dispose();
    const x = tf.randomUniform([1, 8], 0, 1, 'float32', 4);
    const bases: QuantizedArtifacts[] = [await toQuantizedArtifacts(q), await toQuantizedArtifacts(q, { compress: false })];
    const ref = outputOf(q, x);
    await fuzzQuantizedBytes(bases, x, ref, { cases: 10_000, seed: 11, label: 'weights.q.bin' });
    x.dispose();
    q.dispose();
  }, 60_000);
});
