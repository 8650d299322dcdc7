import { ConfigError, type NodeId } from '@bonsai/core';
import type { SensitivityRow } from './sensitivity';

/** One node's sensitivity as a monotone loss curve: `drop` (baseline - score, >= 0) at ascending ratios, starting at (0, 0). */
export interface LossCurve {
  readonly node: NodeId;
  readonly ratios: readonly number[];
  readonly drops: readonly number[];
}

/**
 * Turns sensitivity rows into one loss curve per node: drop = baseline - score, clipped at 0 and
 * made non-decreasing in the ratio (a running maximum: pruning more never predicts a gain, so a
 * lucky noisy point cannot attract an allocator), with (0, 0) prepended. Several rows at one
 * ratio are averaged first.
 */
export function lossCurves(rows: readonly SensitivityRow[]): Map<NodeId, LossCurve> {
  const byNode = new Map<NodeId, Map<number, number[]>>();
  for (const r of rows) {
    if (!(r.ratio >= 0 && r.ratio <= 1) || !Number.isFinite(r.delta)) throw new ConfigError(`lossCurves: row for "${r.node}" has ratio ${r.ratio} and delta ${r.delta}`, { nodeId: r.node });
    const m = byNode.get(r.node) ?? new Map<number, number[]>();
    m.set(r.ratio, [...(m.get(r.ratio) ?? []), -r.delta]);
    byNode.set(r.node, m);
  }
  const out = new Map<NodeId, LossCurve>();
  for (const [node, m] of byNode) {
    m.set(0, [0]);
    const ratios = [...m.keys()].sort((a, b) => a - b);
    const drops: number[] = [];
    let best = 0;
    for (const r of ratios) {
      const xs = m.get(r)!;
      best = Math.max(best, xs.reduce((a, b) => a + b, 0) / xs.length);
      drops.push(best);
    }
    out.set(node, { node, ratios, drops });
  }
  return out;
}

/** The curve's drop at `ratio`: linear between points, the last slope beyond the last point (never below 0). */
export function curveAt(curve: LossCurve, ratio: number): number {
  const { ratios: xs, drops: ys } = curve;
  if (xs.length === 1 || ratio <= xs[0]!) return ys[0]!;
  let i = 1;
  while (i < xs.length - 1 && xs[i]! < ratio) i++;
  const x0 = xs[i - 1]!;
  const x1 = xs[i]!;
  const y0 = ys[i - 1]!;
  const y1 = ys[i]!;
  return Math.max(0, y0 + ((y1 - y0) * (ratio - x0)) / (x1 - x0));
}
