import type { Model } from '@bonsai/core';

/** The part of @bonsai/prune this bench uses. */
interface PruneApi {
  Pruner: new (model: Model, options: { importance: unknown; ratio: number }) => { step(): boolean };
  magnitude(options: { p: number }): unknown;
}

// @bonsai/prune is not a dependency of this package: prune devDepends on distill (its KD fine-tuning
// examples and tests use kdLossSpec), so a dependency back would be a build cycle. The bench runs
// after `pnpm bench` has built every package and loads prune's build from the workspace.
const prune = (await import(new URL('../../prune/dist/index.js', import.meta.url).href)) as PruneApi;

/**
 * Structured pruning with @bonsai/prune's real Pruner: a copy of `model` with `ratio` of every
 * prunable channel group removed (L1 magnitude, local per group; the classifier is kept).
 */
export function pruneCopy(model: Model, ratio: number): Model {
  const copy = model.clone();
  new prune.Pruner(copy, { importance: prune.magnitude({ p: 1 }), ratio }).step();
  return copy;
}
