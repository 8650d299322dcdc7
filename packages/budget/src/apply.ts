import { ConfigError, type Model } from '@bonsai/core';
import { magnitude, Pruner, type GroupImportance } from '@bonsai/prune';
import type { Ratios } from './structure';

/** Options of {@link pruneToRatios}. */
export interface PruneToRatiosOptions {
  /** Channel importance within each group (default `magnitude()`: L2, mean over members). */
  importance?: GroupImportance;
}

/**
 * Physically removes, from each group rooted at a key of `ratios`, that fraction of its channels
 * (the least important by `importance`), in one step of @bonsai/prune's `Pruner` with
 * `ratioPerNode`; groups not named are left whole. Changes `model` in place.
 * @throws ConfigError for a ratio outside [0, 1) or an unknown node.
 */
export function pruneToRatios(model: Model, ratios: Ratios, options: PruneToRatiosOptions = {}): void {
  const entries = Object.entries(ratios).filter(([, r]) => r > 0);
  for (const [node, r] of entries) {
    if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw new ConfigError(`pruneToRatios: ratio of group "${node}" must be in [0, 1), got ${r}`, { nodeId: node });
  }
  if (entries.length === 0) return;
  const pruner = new Pruner(model, { importance: options.importance ?? magnitude(), ratio: 0, ratioPerNode: Object.fromEntries(entries) });
  pruner.step();
}
