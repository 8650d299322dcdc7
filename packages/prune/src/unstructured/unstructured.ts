import type { Param } from '@bonsai/core';
import { createRng, entryMagnitudes, hashSeed, smallestK } from '@bonsai/core';
import { resolveCount } from './amount';
import { commitMask, maskValues, rawValues, type MaskChange } from './mask';
import { paramAmounts, type AmountSpec } from './per-param';
import { unprunedIndices } from './select';
import type { PruneTarget } from './targets';

/** Options of {@link l1Unstructured} and {@link randomUnstructured}. */
export interface UnstructuredOptions {
  /** Fraction / count of still-unpruned entries to prune, or a per-layer dictionary. */
  amount: AmountSpec;
  /** Restrict a model target to these params (names or node ids); default: every `kernel`. */
  params?: readonly string[];
}

/** Options of {@link randomUnstructured}. */
export interface RandomUnstructuredOptions extends UnstructuredOptions {
  /** Seed of the random choice (default 0); each param derives its own stream from its name. */
  seed?: number;
}

/**
 * Prunes, in each param separately (local threshold), the unpruned entries with the smallest
 * absolute value (torch's `prune.l1_unstructured`). Masks combine with existing ones: the amount
 * is taken from the still-unpruned entries. Returns what changed per param.
 */
export function l1Unstructured(target: PruneTarget, options: UnstructuredOptions): MaskChange[] {
  return paramAmounts(target, options.amount, options.params).map(([p, amount]) => {
    return pruneSmallest(p, entryMagnitudes(rawValues(p)), amount);
  });
}

/** Prunes randomly chosen unpruned entries of each param (torch's `prune.random_unstructured`). */
export function randomUnstructured(target: PruneTarget, options: RandomUnstructuredOptions): MaskChange[] {
  const seed = options.seed ?? 0;
  return paramAmounts(target, options.amount, options.params).map(([p, amount]) => {
    const rng = createRng(hashSeed(seed, p.name));
    const scores = new Float32Array(p.size);
    for (let i = 0; i < scores.length; i++) scores[i] = rng();
    return pruneSmallest(p, scores, amount);
  });
}

/** Prunes the `amount` unpruned entries of `p` with the smallest score. */
function pruneSmallest(p: Param, score: Float32Array, amount: Parameters<typeof resolveCount>[0]): MaskChange {
  const mask = maskValues(p);
  const candidates = unprunedIndices(mask, p.size);
  const k = resolveCount(amount, candidates.length, p.name);
  return commitMask(p, mask, smallestK(score, k, candidates));
}
