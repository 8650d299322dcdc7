import { axisMagnitudes, ConfigError, createRng, hashSeed, smallestK, type Param } from '@bonsai/core';
import { resolveCount } from './amount';
import { attach, countZeros, maskValues, rawValues, type MaskChange } from './mask';
import { axisLayout, forSlice, normalizeAxis, type AxisLayout } from './layout';
import { paramAmounts, type AmountSpec } from './per-param';
import type { PruneTarget } from './targets';

/** Options of {@link randomStructured}. */
export interface StructuredOptions {
  /** Fraction / count of still-unpruned slices (channels) to prune, or a per-layer dictionary. */
  amount: AmountSpec;
  /** Axis whose slices are pruned whole (negative counts from the end; conv/dense kernels: -1 = output channels). */
  dim: number;
  /** Restrict a model target to these params (names or node ids); default: every `kernel`. */
  params?: readonly string[];
}

/** Options of {@link lnStructured}. */
export interface LnStructuredOptions extends StructuredOptions {
  /** Order of the norm of each slice: a positive number (1, 2, ...) or `Infinity`. */
  n: number;
}

/** Options of {@link randomStructured}. */
export interface RandomStructuredOptions extends StructuredOptions {
  /** Seed of the random choice (default 0). */
  seed?: number;
}

/**
 * Masks whole slices along `dim` (e.g. output channels) with the smallest L`n` norm of their
 * effective values (torch's `prune.ln_structured`). Only slices not yet fully pruned are ranked
 * and the amount is relative to them; the new mask is multiplied into the existing one.
 * Masking only: use @bonsai/prune's structured Pruner to remove channels physically.
 */
export function lnStructured(target: PruneTarget, options: LnStructuredOptions): MaskChange[] {
  const n = options.n;
  if (typeof n !== 'number' || !(n > 0)) throw new ConfigError(`lnStructured: n must be a positive number or Infinity, got ${String(n)}`, { n });
  return paramAmounts(target, options.amount, options.params).map(([p, amount]) => {
    const axis = normalizeAxis(p, options.dim);
    const layout = axisLayout(p, axis);
    const mask = maskValues(p);
    // Core's magnitude ranking: sum of |w|^n per slice (max for Infinity) in one read; the n-th root keeps the order.
    const [sums] = axisMagnitudes(rawValues(p), p.shape, [axis], { p: n, mask });
    return pruneSlices(p, layout, mask, (c) => sums![c]!, amount);
  });
}

/** Masks randomly chosen whole slices along `dim` (torch's `prune.random_structured`). */
export function randomStructured(target: PruneTarget, options: RandomStructuredOptions): MaskChange[] {
  const seed = options.seed ?? 0;
  return paramAmounts(target, options.amount, options.params).map(([p, amount]) => {
    const layout = axisLayout(p, normalizeAxis(p, options.dim));
    const rng = createRng(hashSeed(seed, p.name));
    const scores = Array.from({ length: layout.axisSize }, () => rng());
    return pruneSlices(p, layout, maskValues(p), (c) => scores[c]!, amount);
  });
}

/** Prunes the `amount` lowest-scoring slices among those with at least one unpruned entry. */
function pruneSlices(p: Param, layout: AxisLayout, mask: Float32Array, score: (c: number) => number, amount: Parameters<typeof resolveCount>[0]): MaskChange {
  const alive: number[] = [];
  for (let c = 0; c < layout.axisSize; c++) {
    let any = false;
    forSlice(layout, c, (i) => {
      if (mask[i] !== 0) any = true;
    });
    if (any) alive.push(c);
  }
  const k = resolveCount(amount, alive.length, p.name);
  const before = countZeros(mask);
  for (const c of smallestK(score, k, Uint32Array.from(alive))) forSlice(layout, c, (i) => (mask[i] = 0));
  return attach(p, mask, before);
}
