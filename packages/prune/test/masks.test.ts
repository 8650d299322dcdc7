import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BonsaiError, ConfigError, Param, ShapeError } from '@bonsai/core';
import {
  customFromMask,
  globalUnstructured,
  isPruned,
  l1Unstructured,
  lnStructured,
  nmStructured,
  randomStructured,
  randomUnstructured,
  remove,
} from '../src/index';
import { maskOf, maskZeros, noLeaks, setValues, tinyCnn, tinyMlp, useWasm } from './unstructured-helpers';

beforeAll(useWasm);

function param(name: string, values: number[], shape: number[]): Param {
  const t = tf.tensor(values, shape);
  const p = new Param(name, t);
  t.dispose();
  return p;
}

const W = [0.5, -0.1, 0.3, -0.9, 0.2, 0.05, -0.7, 0.4];

describe('l1Unstructured', () => {
  it('prunes the smallest |w| and combines with the existing mask like a PruningContainer', async () => {
    const p = param('fc/kernel', W, [2, 4]);
    await noLeaks(() => {
      const [c1] = l1Unstructured(p, { amount: 0.5 });
      expect(maskOf(p)).toEqual([1, 0, 0, 1, 0, 0, 1, 1]);
      expect(c1).toEqual({ name: 'fc/kernel', size: 8, added: 4, pruned: 4 });
      // 50% of the 4 remaining entries: 0.4 and 0.5 go, 75% in total.
      const [c2] = l1Unstructured(p, { amount: 0.5 });
      expect(maskOf(p)).toEqual([0, 0, 0, 1, 0, 0, 1, 0]);
      expect(c2!.added).toBe(2);
      expect(p.sparsity()).toBe(0.75);
    }, 1);
    p.dispose();
  });

  it('takes counts (integer > 1 or { count }) and keeps raw values (reparametrization)', async () => {
    const p = param('fc/kernel', W, [2, 4]);
    await noLeaks(() => {
      l1Unstructured(p, { amount: 3 });
      expect(maskZeros(p)).toBe(3);
      l1Unstructured(p, { amount: { count: 1 } });
      expect(maskOf(p)).toEqual([1, 0, 0, 1, 0, 0, 1, 1]);
      expect(Array.from(p.value.dataSync())).toEqual(Array.from(new Float32Array(W)));
    }, 1);
    p.dispose();
  });

  it('reaches exact per-layer sparsity on a model and honours per-layer ratio dictionaries', async () => {
    const m = tinyMlp();
    await noLeaks(() => {
      l1Unstructured(m, { amount: 0.3 });
      expect(maskZeros(m.param('fc1', 'kernel')!)).toBe(Math.round(0.3 * 128));
      expect(maskZeros(m.param('fc2', 'kernel')!)).toBe(Math.round(0.3 * 64));
      expect(m.param('fc1', 'bias')!.mask).toBeUndefined();
      l1Unstructured(m, { amount: { 'fc1/kernel': 0.9, fc2: { count: 5 } } });
      expect(maskZeros(m.param('fc1', 'kernel')!)).toBe(38 + Math.round(0.9 * 90));
      expect(maskZeros(m.param('fc2', 'kernel')!)).toBe(19 + 5);
    }, 2);
    m.dispose();
  });

  it('pruned entries are the smallest magnitudes (local threshold)', () => {
    const m = tinyMlp();
    const p = m.param('fc1', 'kernel')!;
    l1Unstructured(m, { amount: 0.6, params: ['fc1/kernel'] });
    const v = Array.from(p.value.dataSync());
    const mk = maskOf(p);
    const maxPruned = Math.max(...v.filter((_, i) => mk[i] === 0).map(Math.abs));
    const minKept = Math.min(...v.filter((_, i) => mk[i] === 1).map(Math.abs));
    expect(maxPruned).toBeLessThanOrEqual(minKept);
    expect(m.param('fc2', 'kernel')!.mask).toBeUndefined();
    m.dispose();
  });

  it('throws typed errors for bad amounts and unknown names', () => {
    const m = tinyMlp();
    const p = m.param('fc2', 'kernel')!;
    expect(() => l1Unstructured(p, { amount: -0.1 })).toThrow(ConfigError);
    expect(() => l1Unstructured(p, { amount: 2.5 })).toThrow(ConfigError);
    expect(() => l1Unstructured(p, { amount: 65 })).toThrow(/exceeds the 64/);
    expect(() => l1Unstructured(p, { amount: { count: -1 } })).toThrow(ConfigError);
    expect(() => l1Unstructured(p, { amount: Number.NaN })).toThrow(ConfigError);
    expect(() => l1Unstructured(m, { amount: 0.5, params: ['nope/kernel'] })).toThrow(/Unknown param or node "nope\/kernel"/);
    expect(() => l1Unstructured(m, { amount: { fc9: 0.5 } })).toThrow(BonsaiError);
    try {
      l1Unstructured(m, { amount: { fc9: 0.5 } });
    } catch (e) {
      expect((e as BonsaiError).code).toBe('PARAM');
    }
    expect(p.mask).toBeUndefined();
    m.dispose();
  });
});

describe('randomUnstructured', () => {
  it('prunes exactly the requested count, deterministically per seed', async () => {
    const a = tinyMlp();
    const b = tinyMlp();
    await noLeaks(() => {
      randomUnstructured(a, { amount: 0.25, seed: 7 });
      randomUnstructured(b, { amount: 0.25, seed: 7 });
    }, 4);
    const pa = a.param('fc1', 'kernel')!;
    expect(maskZeros(pa)).toBe(32);
    expect(maskOf(pa)).toEqual(maskOf(b.param('fc1', 'kernel')!));
    randomUnstructured(pa, { amount: 0.5, seed: 8 });
    expect(maskZeros(pa)).toBe(32 + 48);
    a.dispose();
    b.dispose();
  });
});

describe('lnStructured / randomStructured', () => {
  // columns (dim -1): c0 = [1, 2, -2], c1 = [-3, 0.5, 1]
  const V = [1, -3, 2, 0.5, -2, 1];

  it('ranks slices by their Ln norm (hand-computed)', async () => {
    await noLeaks(() => {
      const p = param('d/kernel', V, [3, 2]);
      lnStructured(p, { amount: 0.5, n: 1, dim: -1 }); // L1: c0 = 5, c1 = 4.5
      expect(maskOf(p)).toEqual([1, 0, 1, 0, 1, 0]);
      p.dropMask();
      lnStructured(p, { amount: 0.5, n: 2, dim: 1 }); // L2: c0 = 3, c1 = 3.2
      expect(maskOf(p)).toEqual([0, 1, 0, 1, 0, 1]);
      p.dropMask();
      lnStructured(p, { amount: 0.5, n: Infinity, dim: 1 }); // max: c0 = 2, c1 = 3
      expect(maskOf(p)).toEqual([0, 1, 0, 1, 0, 1]);
      p.dropMask();
      lnStructured(p, { amount: { count: 1 }, n: 1, dim: 0 }); // rows: 4, 2.5, 3
      expect(maskOf(p)).toEqual([1, 1, 0, 0, 1, 1]);
      // Combining: the amount counts only rows still alive (2 left, 50% -> 1 more: row 2).
      lnStructured(p, { amount: 0.5, n: 1, dim: 0 });
      expect(maskOf(p)).toEqual([1, 1, 0, 0, 0, 0]);
      p.dispose();
    });
  });

  it('prunes whole output channels of a conv kernel', () => {
    const m = tinyCnn();
    const k = m.param('conv', 'kernel')!; // [3, 3, 8, 4]
    lnStructured(m, { amount: 0.5, n: 2, dim: -1, params: ['conv'] });
    const mk = maskOf(k);
    const channelZeros = [0, 1, 2, 3].map((c) => mk.filter((v, i) => i % 4 === c && v === 0).length);
    expect(channelZeros.sort()).toEqual([0, 0, 72, 72]);
    randomStructured(k, { amount: { count: 1 }, dim: 3, seed: 1 });
    const mk2 = maskOf(k);
    expect([0, 1, 2, 3].filter((c) => mk2.filter((v, i) => i % 4 === c && v === 0).length === 72).length).toBe(3);
    m.dispose();
  });

  it('throws typed errors for bad dims and n', () => {
    const p = param('d/kernel', V, [3, 2]);
    expect(() => lnStructured(p, { amount: 0.5, n: 1, dim: 2 })).toThrow(ConfigError);
    expect(() => lnStructured(p, { amount: 0.5, n: 1, dim: -3 })).toThrow(/dim=-3 is out of range/);
    expect(() => lnStructured(p, { amount: 0.5, n: 0, dim: 0 })).toThrow(ConfigError);
    expect(() => randomStructured(p, { amount: 1.5, dim: 0 })).toThrow(ConfigError);
    expect(() => randomStructured(p, { amount: 4, dim: 0 })).toThrow(/exceeds the 3/);
    p.dispose();
  });
});

describe('globalUnstructured', () => {
  it('uses one threshold across params (hand-computed)', async () => {
    const a = param('a/kernel', [1, 2, 3, 4], [4]);
    const b = param('b/kernel', [0.5, 5, 6, 0.1], [4]);
    await noLeaks(() => {
      globalUnstructured([a, b], { amount: 0.5 });
      expect(maskOf(a)).toEqual([0, 0, 1, 1]);
      expect(maskOf(b)).toEqual([0, 1, 1, 0]);
      // 50% of the 4 entries still alive: 3 and 4 go.
      const changes = globalUnstructured([a, b], { amount: 0.5 });
      expect(maskOf(a)).toEqual([0, 0, 0, 0]);
      expect(changes.map((c) => c.added)).toEqual([2, 0]);
    }, 2);
    a.dispose();
    b.dispose();
  });

  it('accepts importance scores as a function or tensors by name', async () => {
    const a = param('a/kernel', [1, 2, 3, 4], [4]);
    const b = param('b/kernel', [0.5, 5, 6, 0.1], [4]);
    await noLeaks(() => {
      globalUnstructured([a, b], { amount: { count: 3 }, importance: (p) => tf.neg(tf.abs(p.value)) });
      expect(maskOf(a)).toEqual([1, 1, 1, 0]);
      expect(maskOf(b)).toEqual([1, 0, 0, 1]);
    }, 2);
    a.dropMask();
    b.dropMask();
    const sa = tf.tensor([9, 9, 9, 0]);
    const sb = tf.tensor([9, 0, 9, 9]);
    await noLeaks(() => globalUnstructured([a, b], { amount: { count: 2 }, importance: { 'a/kernel': sa, 'b/kernel': sb } }), 2);
    expect(maskOf(a)).toEqual([1, 1, 1, 0]);
    expect(maskOf(b)).toEqual([1, 0, 1, 1]);
    const wrong = tf.tensor([1, 2]);
    expect(() => globalUnstructured([a], { amount: 0.5, importance: { 'a/kernel': wrong } })).toThrow(ShapeError);
    [a, b, sa, sb, wrong].forEach((t) => t.dispose());
  });

  it('reaches the exact global count on a model with different per-layer sparsities', () => {
    const m = tinyMlp();
    setValues(m.param('fc2', 'kernel')!, Array.from({ length: 64 }, (_, i) => 10 + i)); // fc2 large: fc1 goes first
    globalUnstructured(m, { amount: 0.5 });
    const z1 = maskZeros(m.param('fc1', 'kernel')!);
    const z2 = maskZeros(m.param('fc2', 'kernel')!);
    expect(z1 + z2).toBe(96);
    expect(z2).toBe(0);
    expect(() => globalUnstructured(m, { amount: { count: 1000 } })).toThrow(ConfigError);
    m.dispose();
  });
});

describe('nmStructured', () => {
  it('produces an exact 2:4 pattern along the input axis of dense kernels', async () => {
    const m = tinyMlp();
    await noLeaks(() => nmStructured(m), 2);
    const k = m.param('fc1', 'kernel')!; // [8, 16], inAxis 0
    const v = Array.from(k.value.dataSync());
    const mk = maskOf(k);
    for (let col = 0; col < 16; col++) {
      for (let g = 0; g < 8; g += 4) {
        const idx = [0, 1, 2, 3].map((t) => (g + t) * 16 + col);
        expect(idx.filter((i) => mk[i] === 1).length).toBe(2);
        const kept = idx.filter((i) => mk[i] === 1).map((i) => Math.abs(v[i]!));
        const dropped = idx.filter((i) => mk[i] === 0).map((i) => Math.abs(v[i]!));
        expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...dropped));
      }
    }
    expect(k.sparsity()).toBe(0.5);
    m.dispose();
  });

  it('groups along the input channels of conv kernels and supports other N:M', () => {
    const m = tinyCnn();
    const k = m.param('conv', 'kernel')!; // [3, 3, 8, 4], inAxis 2
    nmStructured(m, { params: ['conv/kernel'], n: 1, m: 4 });
    const mk = maskOf(k);
    for (let pos = 0; pos < 9; pos++) {
      for (let co = 0; co < 4; co++) {
        for (let g = 0; g < 8; g += 4) {
          const kept = [0, 1, 2, 3].filter((t) => mk[(pos * 8 + g + t) * 4 + co] === 1).length;
          expect(kept).toBe(1);
        }
      }
    }
    const fc = m.param('fc', 'kernel')!; // [144, 4]
    nmStructured(m, { params: ['fc'], n: 2, m: 4, axis: 1 });
    expect(maskZeros(fc)).toBe(2 * 144);
    expect(() => nmStructured(m, { params: ['fc'], m: 5 })).toThrow(ShapeError); // 144 % 5 != 0
    expect(() => nmStructured(m, { n: 5, m: 4 })).toThrow(ConfigError);
    m.dispose();
  });
});

describe('remove / isPruned / customFromMask', () => {
  it('bakes masks into values and reports pruned state', async () => {
    const m = tinyMlp();
    expect(isPruned(m)).toBe(false);
    l1Unstructured(m, { amount: 0.5 });
    const k = m.param('fc1', 'kernel')!;
    const mk = maskOf(k);
    expect(isPruned(m)).toBe(true);
    expect(isPruned(m.param('fc1', 'bias')!)).toBe(false);
    const baked = await noLeaks(() => remove(m), -2);
    expect(baked.sort()).toEqual(['fc1/kernel', 'fc2/kernel']);
    expect(k.mask).toBeUndefined();
    expect(isPruned(m)).toBe(false);
    const v = Array.from(k.value.dataSync());
    mk.forEach((b, i) => {
      if (b === 0) expect(v[i] === 0).toBe(true);
      else expect(v[i]).not.toBe(0);
    });
    expect(k.sparsity()).toBe(0.5);
    expect(() => remove(k)).toThrow(/has to be pruned before/);
    expect(() => remove(m, { params: ['fc1/kernel'] })).toThrow(BonsaiError);
    m.dispose();
  });

  it('customFromMask combines a given mask and validates its shape', async () => {
    const p = param('a/kernel', [1, 2, 3, 4], [2, 2]);
    const m1 = tf.tensor([1, 0, 1, 1], [2, 2]);
    const m2 = tf.tensor([1, 1, 0, 1], [2, 2]);
    const bad = tf.tensor([1, 1, 1, 1], [4]);
    await noLeaks(() => {
      customFromMask(p, m1);
      customFromMask(p, m2);
    }, 1);
    expect(maskOf(p)).toEqual([1, 0, 0, 1]);
    expect(() => customFromMask(p, bad)).toThrow(ShapeError);
    [p, m1, m2, bad].forEach((t) => t.dispose());
  });
});
