import type { Model } from '@bonsai/core';
import { Pruner, magnitude } from '@bonsai/prune';

/**
 * Structured pruning with @bonsai/prune's real Pruner: a copy of `model` with `ratio` of every
 * prunable channel group removed (L1 magnitude, local per group; the classifier is kept).
 */
export function pruneCopy(model: Model, ratio: number): Model {
  const copy = model.clone();
  new Pruner(copy, { importance: magnitude({ p: 1 }), ratio }).step();
  return copy;
}
