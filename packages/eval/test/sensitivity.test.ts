import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BonsaiError, ConfigError, initBackend, type Model } from '@bonsai/core';
import { countNonZero, l1KernelPrune, sensitivity, sensitivityTable } from '../src/index';
import { convNet, ramp } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

function snapshot(m: Model): Array<[string, number[], boolean]> {
  return [...m.params.values()].map((p) => [p.name, Array.from(p.value.dataSync()), p.mask !== undefined]);
}

describe('l1KernelPrune', () => {
  it('masks the smallest magnitudes and keeps earlier masks', () => {
    const m = convNet(); // conv kernel = ±(1..36)/36
    const before = tf.memory().numTensors;
    l1KernelPrune(m, 'conv', 0.25);
    const mask = Array.from(m.param('conv', 'kernel')!.mask!.dataSync());
    expect(mask).toEqual(ramp(36).map((v) => (Math.abs(v) <= 9 ? 0 : 1)));
    l1KernelPrune(m, 'conv', 0.5);
    expect(countNonZero(m)).toBe(2614 - 18);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(() => l1KernelPrune(m, 'relu', 0.5)).toThrow(BonsaiError);
    expect(() => l1KernelPrune(m, 'conv', -0.1)).toThrow(ConfigError);
    m.dispose();
  });
});

describe('sensitivity', () => {
  it('sweeps nodes x ratios on clones and leaves the model untouched', async () => {
    const m = convNet();
    const snap = snapshot(m);
    const before = tf.memory().numTensors;
    const rows = await sensitivity(m, { ratios: [0, 0.5, 1], evaluate: (c) => countNonZero(c) });
    expect(tf.memory().numTensors).toBe(before);
    expect(snapshot(m)).toEqual(snap);
    expect(rows.map((r) => [r.node, r.ratio, r.score, r.delta])).toEqual([
      ['conv', 0, 2614, 0],
      ['conv', 0.5, 2614 - 18, -18],
      ['conv', 1, 2614 - 36, -36],
      ['fc', 0, 2614, 0],
      ['fc', 0.5, 2614 - 1280, -1280],
      ['fc', 1, 2614 - 2560, -2560],
    ]);
    expect(rows.every((r) => r.baseline === 2614)).toBe(true);
    const table = sensitivityTable(rows, String);
    expect(table).toContain('| node | 0% | 50% | 100% |');
    expect(table).toContain('| fc | 2614 | 1334 | 54 |');
    expect(table).toContain('Unpruned: 2614.');
    m.dispose();
  });

  it('uses a custom prune on clones only, and validates nodes and ratios', async () => {
    const m = convNet();
    const seen: Array<[string, number]> = [];
    const rows = await sensitivity(m, {
      nodes: ['bn'],
      ratios: [0.5],
      prune: (clone, node, ratio) => {
        expect(clone).not.toBe(m);
        seen.push([node, ratio]);
        const z = tf.zeros([4]);
        clone.param(node, 'gamma')!.assign(z);
        z.dispose();
      },
      evaluate: async (c) => countNonZero(c),
    });
    expect(seen).toEqual([['bn', 0.5]]);
    expect(rows[0]!.delta).toBe(-4);
    expect(countNonZero(m)).toBe(2614);
    await expect(sensitivity(m, { nodes: ['nope'], evaluate: () => 0 })).rejects.toMatchObject({ code: 'UNKNOWN_NODE' });
    await expect(sensitivity(m, { nodes: ['bn'], evaluate: () => 0 })).rejects.toMatchObject({ code: 'PARAM' });
    await expect(sensitivity(m, { ratios: [1.5], evaluate: () => 0 })).rejects.toBeInstanceOf(ConfigError);
    m.dispose();
  });
});
