import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BonsaiError, ConfigError, initBackend } from '@bonsai/core';
import { compare, compareModels, evaluate, type Metrics } from '../src/index';
import { convNet, identityNet } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const base: Metrics = { name: 'dense', params: 1000, trainableParams: 990, nonZero: 1000, sparsity: 0, macs: 8000, effectiveMacs: 8000, bytes: 4096, accuracy: 0.9 };
const pruned: Metrics = { name: 'pruned', params: 250, trainableParams: 245, nonZero: 100, sparsity: 0.6, macs: 2000, effectiveMacs: 800, bytes: 1024, accuracy: 0.85 };

describe('compare', () => {
  it('computes ratios (baseline ÷ row) and accuracy deltas', () => {
    const c = compare(base, pruned);
    expect(c.json.baseline).toBe('dense');
    const [b, p] = c.json.rows;
    expect(b!.ratios).toEqual({ params: 1, nonZero: 1, macs: 1, effectiveMacs: 1, bytes: 1 });
    expect(p!.ratios).toEqual({ params: 4, nonZero: 10, macs: 4, effectiveMacs: 10, bytes: 4 });
    expect(p!.deltas.accuracy).toBeCloseTo(-0.05, 12);
    expect(b!.deltas.accuracy).toBe(0);
  });

  it('renders a Markdown table with human units, ratios and only the measured columns', () => {
    const { markdown } = compare([base, pruned]);
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('| model | params | non-zero | sparsity | MACs | eff. MACs | size | accuracy |');
    expect(lines[2]).toBe('| dense (baseline) | 1.00k | 1.00k | 0.0% | 8.00k | 8.00k | 4.0 KB | 90.00% |');
    expect(lines[3]).toBe('| pruned | 250 (4.00x) | 100 (10.00x) | 60.0% | 2.00k (4.00x) | 800 (10.00x) | 1.0 KB (4.00x) | 85.00% (−5.00 pp) |');
    expect(markdown).not.toContain('latency');
  });

  it('picks the baseline by name and rejects bad input', () => {
    const c = compare([pruned, base], { baseline: 'dense' });
    expect(c.json.baseline).toBe('dense');
    expect(c.json.rows[0]!.ratios.params).toBe(4);
    expect(() => compare([base], { baseline: 'nope' })).toThrow(ConfigError);
    expect(() => compare([])).toThrow(BonsaiError);
    expect(() => compare(base, undefined as unknown as Metrics)).toThrow(/row 1/);
  });

  it('evaluate + compare on real models: pruning halves non-zeros and effective MACs, not size', async () => {
    const a = convNet();
    const b = convNet();
    const mask = tf.tensor(Array.from({ length: 2560 }, (_, i) => i % 2), [256, 10]);
    b.param('fc', 'kernel')!.setMask(mask);
    mask.dispose();
    b.param('fc', 'kernel')!.bake();
    const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 1);
    const y = tf.tidy(() => tf.oneHot(tf.argMax(a.forward(x), 1), 10));
    const before = tf.memory().numTensors;
    const ma = await evaluate(a, { name: 'before', x, y, topK: 3, latency: { warmup: 1, runs: 3 } });
    const mb = await evaluate(b, { name: 'after', x, y, topK: 3, latency: { warmup: 1, runs: 3 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(ma).toMatchObject({ params: 2626, trainableParams: 2618, nonZero: 2614, macs: 4864, effectiveMacs: 4864, accuracy: 1, topK: { k: 3, accuracy: 1 } });
    expect(mb).toMatchObject({ params: 2626, nonZero: 2614 - 1280, macs: 4864, effectiveMacs: 2304 + 1280 });
    expect(mb.bytes).toBe(ma.bytes);
    const c = compare(ma, mb);
    const row = c.json.rows[1]!;
    expect(row.ratios.nonZero).toBeCloseTo(2614 / 1334, 12);
    expect(row.ratios.effectiveMacs).toBeCloseTo(4864 / 3584, 12);
    expect(row.ratios.bytes).toBe(1);
    expect(row.ratios.latency).toBeGreaterThan(0);
    expect(row.latency).toMatchObject({ batch: 1, backend: 'wasm' });
    expect(c.markdown).toContain('| latency p50 (batch 1) | accuracy | top-3 |');
    expect(c.markdown).toContain('| after | 2.63k (1.00x) | 1.33k (1.96x) |');
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  it('compareModels evaluates each entry with shared options; evaluate needs x with y', async () => {
    const m = identityNet();
    const x = tf.tensor2d([[3, 2, 1], [1, 3, 2]]);
    const y = tf.tensor1d([0, 2], 'int32');
    const c = await compareModels([{ name: 'a', model: m }, { name: 'b', model: m }], { x, y });
    expect(c.json.rows.map((r) => [r.name, r.accuracy, r.params])).toEqual([['a', 0.5, 9], ['b', 0.5, 9]]);
    await expect(evaluate(m, { x })).rejects.toMatchObject({ code: 'DATA' });
    tf.dispose([x, y]);
    m.dispose();
  });
});
