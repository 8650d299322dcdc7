import { createRng, type NodeId } from '@bonsai/core';
import { nnls } from './nnls';
import type { Ratios, Structure } from './structure';

/** One term of a latency fit: nodes whose kept work is the same function of the ratios, and their cost. */
export interface LatencyTerm {
  /** Nodes of the term (e.g. a conv and the batch norm / activation fused with it share out-channels). */
  nodes: NodeId[];
  /** Fitted ms at full work (the term's time is `msAtDense * work ^ exponent`). */
  msAtDense: number;
}

/** A latency model fitted to whole plain passes: `ms = fixedMs + sum of term.msAtDense * work(term) ^ exponent`. */
export interface LatencyFit {
  /** Time that no pruning removes: per-op dispatch, readback, and the work of nodes no group touches. */
  fixedMs: number;
  terms: LatencyTerm[];
  /**
   * How a term's time scales with its kept work (1: linearly). Above 1 when narrower layers also
   * run faster per MAC: activations that fit the CPU caches (measured: about 1.5 at batch 16 on a
   * busy 2-core machine, about 1 at batch 1).
   */
  exponent: number;
  /** Root mean square of (predicted - measured) / measured over the fitted points. */
  rmsRelError: number;
}

/** A timed configuration: per-group ratios and the median ms of a plain pass. */
export interface LatencySample {
  ratios: Ratios;
  ms: number;
}

/**
 * Groups the structure's nodes into terms: nodes whose kept-work fraction is equal under several
 * random ratio assignments depend on the ratios in the same way (a conv's in x out channels, or
 * the out-channels a conv, its batch norm and activation share) and get one coefficient. Nodes no
 * group changes (work 1 everywhere) are left out: their time is part of the fixed time.
 */
export function latencyTerms(structure: Structure, probes = 4, seed = 0): NodeId[][] {
  const rng = createRng(seed);
  const assignments: Ratios[] = Array.from({ length: probes }, () => Object.fromEntries(structure.roots.map((r) => [r, 0.05 + 0.85 * rng()])));
  const works = assignments.map((r) => structure.cost(r).work);
  const bySignature = new Map<string, NodeId[]>();
  for (const n of structure.nodes) {
    const values = works.map((w) => w.get(n.node) ?? 1);
    if (values.every((v) => Math.abs(v - 1) < 1e-9)) continue;
    const sig = values.map((v) => v.toFixed(9)).join(',');
    bySignature.set(sig, [...(bySignature.get(sig) ?? []), n.node]);
  }
  return [...bySignature.values()];
}

/** Kept work of a term (its first node's; every node of a term has the same). */
function termWork(term: readonly NodeId[], work: ReadonlyMap<NodeId, number>): number {
  return work.get(term[0]!) ?? 1;
}

/** Exponents {@link fitLatency} tries: 1 to 2.5 in steps of 0.05. */
const EXPONENTS = Array.from({ length: 31 }, (_, i) => 1 + i * 0.05);

/**
 * Fits `ms = fixedMs + sum_t c_t * work_t(ratios) ^ p` to timed plain passes: for each exponent
 * `p` in `exponents` (default 1 to 2.5 by 0.05), nonnegative least squares on the fixed time and
 * the term costs, each pass weighted by 1 / its ms (relative error counts, so small
 * configurations are fitted as well as the dense one); the `p` with the least weighted residual
 * wins. Coefficients are >= 0: pruning never adds time.
 * @throws ConfigError for an empty sample list (from the solver).
 */
export function fitLatency(structure: Structure, samples: readonly LatencySample[], terms: readonly NodeId[][] = latencyTerms(structure), exponents: readonly number[] = EXPONENTS): LatencyFit {
  const works = samples.map((s) => {
    const work = structure.cost(s.ratios).work;
    return terms.map((t) => termWork(t, work));
  });
  const ones = samples.map(() => 1);
  let best: { p: number; x: number[]; residual: number } | undefined;
  for (const p of exponents) {
    const a = works.map((w, i) => [1, ...w.map((v) => v ** p)].map((v) => v / samples[i]!.ms));
    const { x, residual } = nnls(a, ones);
    if (!best || residual < best.residual - 1e-12) best = { p, x, residual };
  }
  const { p, x } = best!;
  const fit: LatencyFit = { fixedMs: x[0]!, terms: terms.map((nodes, i) => ({ nodes: [...nodes], msAtDense: x[i + 1]! })), exponent: p, rmsRelError: 0 };
  const predict = predictorOf(fit);
  const rel = samples.map((s) => (predict(structure.cost(s.ratios).work) - s.ms) / s.ms);
  fit.rmsRelError = Math.sqrt(rel.reduce((acc, e) => acc + e * e, 0) / Math.max(1, rel.length));
  return fit;
}

/** The whole-model ms a fit predicts from per-node kept-work fractions (`Structure.cost(r).work`). */
export function predictorOf(fit: LatencyFit): (work: ReadonlyMap<NodeId, number>) => number {
  return (work) => fit.terms.reduce((ms, t) => ms + t.msAtDense * termWork(t.nodes, work) ** fit.exponent, fit.fixedMs);
}

/**
 * Width configurations to time for a fit: the dense model, uniform ratios (0.25, 0.5, 0.75, 0.9),
 * then random per-group ratios in [0, maxRatio] (seeded) up to `count` in all: mixed widths make
 * the terms of different groups separable.
 */
export function fitConfigurations(structure: Structure, count: number, seed = 0, maxRatio = 0.9): Ratios[] {
  const roots = structure.roots;
  const out: Ratios[] = [{}];
  for (const u of [0.25, 0.5, 0.75, maxRatio]) if (out.length < count) out.push(Object.fromEntries(roots.map((r) => [r, u])));
  const rng = createRng(seed);
  while (out.length < count) out.push(Object.fromEntries(roots.map((r) => [r, Math.round(maxRatio * rng() * 100) / 100])));
  return out;
}
