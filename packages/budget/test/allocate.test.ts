import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, initBackend } from '@bonsai/core';
import { curveAt, lossCurves, type LossCurve } from '@bonsai/eval';
import { smallCnn } from '@bonsai/models';
import { allocate, parseTargets, predictMetrics, resolveTargets, Structure, uniformAllocation, type ResolvedTarget } from '../src/index';

let s: Structure;
let dense: ReturnType<Structure['cost']>;
let curves: Map<string, LossCurve>;

beforeAll(async () => {
  await initBackend('wasm');
  const model = smallCnn({ widths: [8, 16], hidden: 32, dropout: 0 });
  s = new Structure(model);
  model.dispose();
  dense = s.cost({});
  // conv1 is very sensitive, fc1 insensitive (convex curves: greedy marginal analysis is near-optimal on them).
  const sens: Record<string, number> = { conv1: 0.5, conv2: 0.2, conv3: 0.1, conv4: 0.05, fc1: 0.01 };
  curves = new Map(s.roots.map((r) => [r, curve(r, [0.25, 0.5, 0.75, 0.9], [0.25, 0.5, 0.75, 0.9].map((x) => sens[r]! * x * x))]));
});

const curve = (node: string, ratios: number[], drops: number[]): LossCurve => ({ node, ratios: [0, ...ratios], drops: [0, ...drops] });

describe('allocate', () => {
  it('meets a MAC target with the least predicted drop (brute force over the grid as oracle)', () => {
    const targets: ResolvedTarget[] = [{ metric: 'macs', limit: 0.5 * dense.macs, dense: dense.macs, asked: '0.5x' }];
    const a = allocate(s, { curves, targets, step: 0.25, maxRatio: 0.75 });
    expect(a.feasible).toBe(true);
    expect(a.predicted.macs!).toBeLessThanOrEqual(0.5 * dense.macs);
    expect(Math.round(a.predicted.macs!)).toBe(Math.round(s.cost(a.ratios).macs));
    // Oracle: every assignment on the 0 / 0.25 / 0.5 / 0.75 grid.
    const levels = [0, 0.25, 0.5, 0.75];
    let best = Number.POSITIVE_INFINITY;
    const roots = s.roots;
    const rec = (i: number, r: Record<string, number>): void => {
      if (i === roots.length) {
        if (s.cost(r).macs <= 0.5 * dense.macs) best = Math.min(best, roots.reduce((acc, k) => acc + curveAt(curves.get(k)!, r[k]!), 0));
        return;
      }
      for (const l of levels) rec(i + 1, { ...r, [roots[i]!]: l });
    };
    rec(0, {});
    // Greedy is within 10% of the optimum here (and never worse than uniform).
    expect(a.predictedDrop).toBeLessThanOrEqual(best * 1.1 + 1e-12);
    const u = uniformAllocation(s, { curves, targets, maxRatio: 0.75 });
    expect(u.feasible).toBe(true);
    expect(a.predictedDrop).toBeLessThan(u.predictedDrop);
    expect(a.ratios.conv1).toBeLessThan(a.ratios.fc1!);
  });

  it('reports an unreachable target as infeasible, and checks options', () => {
    const targets: ResolvedTarget[] = [{ metric: 'params', limit: 10, dense: dense.params, asked: '10' }];
    const a = allocate(s, { curves, targets });
    expect(a.feasible).toBe(false);
    expect(Object.values(a.ratios).every((r) => r === 0.9)).toBe(true);
    expect(() => allocate(s, { curves, targets, step: 0 })).toThrow(ConfigError);
    expect(() => allocate(s, { curves, targets: [{ metric: 'latencyMs', limit: 1, dense: 2, asked: '0.5x' }] })).toThrow(ConfigError);
    expect(predictMetrics(s, {}, ['params', 'sizeBytes'])).toEqual({ params: dense.params, sizeBytes: 4 * dense.params });
  });

  it('builds monotone curves from sensitivity rows', () => {
    const rows = [0.2, 0.4, 0.6].map((ratio, i) => ({ node: 'a', ratio, score: [0.9, 0.95, 0.7][i]!, baseline: 0.96, delta: [0.9, 0.95, 0.7][i]! - 0.96 }));
    const c = lossCurves(rows).get('a')!;
    expect(c.ratios).toEqual([0, 0.2, 0.4, 0.6]);
    expect(c.drops.map((d) => Math.round(d * 100) / 100)).toEqual([0, 0.06, 0.06, 0.26]);
    expect(curveAt(c, 0.1)).toBeCloseTo(0.03, 10);
    expect(curveAt(c, 0.7)).toBeCloseTo(0.36, 10);
  });
});

describe('targets', () => {
  it('parses CLI strings and resolves fractions', () => {
    expect(parseTargets('latency=0.5x')).toEqual({ latencyMs: { fraction: 0.5 } });
    expect(parseTargets('macs=2e6, size=1MB,params=0.3x')).toEqual({ macs: 2e6, sizeBytes: 1e6, params: { fraction: 0.3 } });
    expect(() => parseTargets('speed=2x')).toThrow(ConfigError);
    expect(() => parseTargets('macs=-1')).toThrow(ConfigError);
    const r = resolveTargets({ macs: { fraction: 0.25 }, params: 100 }, { macs: 1000, params: 400, latencyMs: undefined, sizeBytes: 1600 });
    expect(r).toEqual([
      { metric: 'macs', limit: 250, dense: 1000, asked: '0.25x' },
      { metric: 'params', limit: 100, dense: 400, asked: '100' },
    ]);
    expect(() => resolveTargets({ latencyMs: 3 }, { macs: 1, params: 1, latencyMs: undefined, sizeBytes: 1 })).toThrow(ConfigError);
    expect(() => resolveTargets({ flops: 3 } as never, { macs: 1, params: 1, latencyMs: 1, sizeBytes: 1 })).toThrow(ConfigError);
  });
});
