import { describe, expect, it } from 'vitest';
import { ConfigError } from '@bonsai/core';
import { agp, constantSparsity, linearSparsity, polynomialDecay } from '../src/index';

describe('sparsity schedules', () => {
  it('AGP follows s_t = s_f + (s_i - s_f)(1 - (t - t0)/(n dt))^3 (hand-computed)', () => {
    const s = agp({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 100, frequency: 10 });
    expect(s.sparsity(0)).toBe(0);
    expect(s.sparsity(50)).toBeCloseTo(0.7, 12); // 0.8 - 0.8 * 0.5^3
    expect(s.sparsity(25)).toBeCloseTo(0.4625, 12); // 0.8 - 0.8 * 0.75^3
    expect(s.sparsity(100)).toBeCloseTo(0.8, 12);
    expect(s.sparsity(250)).toBeCloseTo(0.8, 12);
    const shifted = agp({ initialSparsity: 0.2, finalSparsity: 0.9, beginStep: 10, endStep: 110, frequency: 20 });
    expect(shifted.sparsity(5)).toBeCloseTo(0.2, 12);
    expect(shifted.sparsity(30)).toBeCloseTo(0.9 - 0.7 * 0.8 ** 3, 12); // 0.5416
    expect(shifted.sparsity(30)).toBeCloseTo(0.5416, 12);
  });

  it('linear and general polynomial decay', () => {
    const lin = linearSparsity({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 100 });
    expect(lin.sparsity(25)).toBeCloseTo(0.2, 12);
    expect(lin.sparsity(75)).toBeCloseTo(0.6, 12);
    const sq = polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.9, beginStep: 0, endStep: 10, power: 2 });
    expect(sq.sparsity(5)).toBeCloseTo(0.9 - 0.4 * 0.25, 12);
    expect(polynomialDecay({ initialSparsity: 0, finalSparsity: 0.5, beginStep: 0, endStep: 10 }).sparsity(5)).toBeCloseTo(0.5 - 0.5 / 8, 12);
  });

  it('prunes every `frequency` steps within [beginStep, endStep], and at endStep', () => {
    const s = agp({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 10, endStep: 105, frequency: 20 });
    const steps = Array.from({ length: 130 }, (_, i) => i).filter((t) => s.shouldPrune(t));
    expect(steps).toEqual([10, 30, 50, 70, 90, 105]);
    const c = constantSparsity({ targetSparsity: 0.5, beginStep: 5, frequency: 10 });
    expect([4, 5, 6, 15, 1_000_005].map((t) => c.shouldPrune(t))).toEqual([false, true, false, true, true]);
    expect(c.sparsity(0)).toBe(0.5);
    const bounded = constantSparsity({ targetSparsity: 0.5, beginStep: 0, endStep: 20, frequency: 10 });
    expect([0, 10, 20, 30].map((t) => bounded.shouldPrune(t))).toEqual([true, true, true, false]);
    expect(constantSparsity({ targetSparsity: 0.3 }).frequency).toBe(100);
  });

  it('rejects bad configurations with ConfigError', () => {
    const base = { initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 100 };
    expect(() => agp({ ...base, finalSparsity: 1.2 })).toThrow(ConfigError);
    expect(() => agp({ ...base, initialSparsity: -0.1 })).toThrow(ConfigError);
    expect(() => agp({ ...base, initialSparsity: 0.9 })).toThrow(/finalSparsity=0.8 must be >= initialSparsity=0.9/);
    expect(() => agp({ ...base, endStep: 0 })).toThrow(ConfigError);
    expect(() => agp({ ...base, frequency: 0 })).toThrow(/frequency/);
    expect(() => agp({ ...base, beginStep: 1.5 })).toThrow(/beginStep/);
    expect(() => polynomialDecay({ ...base, power: 0 })).toThrow(/power/);
    expect(() => constantSparsity({ targetSparsity: Number.NaN })).toThrow(ConfigError);
    expect(() => constantSparsity({ targetSparsity: 0.5, beginStep: 10, endStep: 5 })).toThrow(/endStep/);
  });
});
