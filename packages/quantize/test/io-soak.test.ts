import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model } from '@bonsai/core';
import { DependencyGraph } from '@bonsai/graph';
import { magnitude, Pruner } from '@bonsai/prune';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantized, quantizeDynamic, saveQuantized } from '../src/index';
import { outputOf, tinyCnn, useWasm } from './helpers';

// BONSAI_SOAK=1000 runs the long version (0.3 s per cycle on an idle machine, over 1 s on a loaded one).
const CYCLES = Number(process.env.BONSAI_SOAK ?? 30);

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(join(tmpdir(), 'bonsai-soak-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('structured pruning of a quantized model', () => {
  it('is refused with a ConfigError before anything is changed or written', async () => {
    const m = tinyCnn(5);
    const q = quantizeDynamic(m);
    const shapes = [...q.params.values()].map((p) => p.shape.join('x'));
    expect(() => DependencyGraph.build(q)).toThrow(ConfigError);
    expect(() => new Pruner(q, { importance: magnitude(), ratio: 0.5 })).toThrow(/cannot prune this model structurally: it is quantized .* prune the float model, then quantize it/);
    expect([...q.params.values()].map((p) => p.shape.join('x'))).toEqual(shapes);
    expect(await readdir(dir)).toEqual([]);
    // The float model prunes as before.
    expect(new Pruner(m, { importance: magnitude(), ratio: 0.5 }).step()).toBe(true);
    m.dispose();
    q.dispose();
  });
});

describe(`soak: ${CYCLES} prune -> quantize -> save -> load cycles`, () => {
  it('keep tf.memory().numTensors equal and RSS bounded', async () => {
    const base = tinyCnn(7);
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 1);
    const out = join(dir, 'm');
    const tensors: number[] = [];
    const rss: number[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const m: Model = base.clone();
      new Pruner(m, { importance: magnitude(), ratio: 0.25 }).step();
      const q = quantizeDynamic(m);
      await saveQuantized(q, out);
      const back = await loadQuantized(out);
      expect(Array.from(outputOf(back, x))).toEqual(Array.from(outputOf(q, x)));
      [m, q, back].forEach((t) => t.dispose());
      tensors.push(tf.memory().numTensors);
      rss.push(process.memoryUsage().rss);
      if ((c + 1) % 100 === 0) console.log(`cycle ${c + 1}: numTensors ${tensors[c]}, RSS ${(rss[c]! / 2 ** 20).toFixed(0)} MB`);
    }
    expect(new Set(tensors).size, `numTensors per cycle: ${tensors.join(', ')}`).toBe(1);
    const warm = Math.min(5, CYCLES - 1);
    const growthMb = (Math.max(...rss.slice(warm)) - rss[warm]!) / 2 ** 20;
    console.log(`soak ${CYCLES} cycles: numTensors ${tensors[0]} every cycle, RSS ${(rss[warm]! / 2 ** 20).toFixed(0)} -> ${(rss[rss.length - 1]! / 2 ** 20).toFixed(0)} MB (max growth ${growthMb.toFixed(1)} MB)`);
    expect(growthMb).toBeLessThan(CYCLES >= 500 ? 128 : 64);
    expect(await readdir(dir)).toEqual(['m']);
    base.dispose();
    x.dispose();
  }, Math.max(120_000, CYCLES * 3_000));
});
