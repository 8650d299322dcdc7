import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, SerializationError, initBackend, save } from '@bonsai/core';
import { benchmarkLatency, countParams, fileSize, serializedSize } from '../src/index';
import { convNet } from './helpers';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'bonsai-eval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('serializedSize / fileSize', () => {
  it('counts float32 weights plus model.json, masks as extra 1-byte tensors, and matches the saved files', async () => {
    const m = convNet();
    const before = tf.memory().numTensors;
    const plain = await serializedSize(m);
    expect(plain.weights).toBe(4 * countParams(m));
    expect(plain.modelJson).toBeGreaterThan(100);
    expect(plain.total).toBe(plain.weights + plain.modelJson);
    const saved = await save(m, join(dir, 'plain'));
    expect(saved.bytes).toBe(plain.total);
    expect(await fileSize(join(dir, 'plain'))).toBe(plain.total);

    const mask = tf.ones([3, 3, 1, 4]);
    m.param('conv', 'kernel')!.setMask(mask);
    mask.dispose();
    const masked = await serializedSize(m);
    expect(masked.weights).toBe(plain.weights + 36); // core stores masks as bool, 1 byte per entry
    expect(tf.memory().numTensors).toBe(before + 1);
    m.dispose();
  });

  it('fileSize sums nested files and names an unreadable folder', async () => {
    const d = join(dir, 'nested');
    await mkdir(join(d, 'sub'), { recursive: true });
    await writeFile(join(d, 'a.bin'), new Uint8Array(10));
    await writeFile(join(d, 'sub', 'b.bin'), new Uint8Array(32));
    expect(await fileSize(d)).toBe(42);
    const missing = join(dir, 'missing');
    await expect(fileSize(missing)).rejects.toBeInstanceOf(SerializationError);
    await expect(fileSize(missing)).rejects.toThrow(missing);
  });
});

describe('benchmarkLatency', () => {
  it('returns positive finite timings and disposes its input', async () => {
    const m = convNet();
    const before = tf.memory().numTensors;
    const r = await benchmarkLatency(m, { warmup: 1, runs: 5, batch: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.samples).toHaveLength(5);
    for (const v of [r.median, r.p95, r.mean, r.min, r.max, ...r.samples]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(r.min).toBeLessThanOrEqual(r.median);
    expect(r.median).toBeLessThanOrEqual(r.p95);
    expect(r.p95).toBeLessThanOrEqual(r.max);
    expect(r.batch).toBe(4);
    expect(r.perSample).toBeCloseTo(r.median / 4, 12);
    expect(r.backend).toBe('wasm');
    m.dispose();
  });

  it('rejects bad options with ConfigError and a wrong inputShape with a ShapeError, without leaking', async () => {
    const m = convNet();
    const before = tf.memory().numTensors;
    await expect(benchmarkLatency(m, { runs: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(benchmarkLatency(m, { batch: 1.5 })).rejects.toBeInstanceOf(ConfigError);
    await expect(benchmarkLatency(m, { warmup: 0, runs: 1, inputShape: [4, 4, 1] })).rejects.toThrow(/per-sample shape \[4, 4, 1\]/);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
