import * as tf from '@tensorflow/tfjs-core';
import { Model, Param, ShapeError, ConfigError } from '@bonsai/core';
import { attach, countZeros, maskValues, type MaskChange } from './mask';
import { resolveTarget, type PruneTarget } from './targets';

/**
 * Makes pruning permanent (torch's `prune.remove`): folds each mask into its values and drops it.
 * A model target bakes every masked param (or those named in `params`). Throws a `PRUNE`
 * BonsaiError when an explicitly given param carries no mask.
 */
export function remove(target: PruneTarget, options: { params?: readonly string[] } = {}): string[] {
  const explicit = !(target instanceof Model) || options.params !== undefined;
  const params = target instanceof Model && !options.params ? [...target.params.values()] : resolveTarget(target, options.params);
  const baked: string[] = [];
  for (const p of params) {
    if (!p.mask) {
      if (explicit) throw new ConfigError(`Param "${p.name}" has to be pruned before its pruning can be removed`, { param: p.name }, { code: 'PRUNE' });
      continue;
    }
    p.bake();
    baked.push(p.name);
  }
  return baked;
}

/** True when the param (or any param of the model / list) carries a mask (torch's `prune.is_pruned`). */
export function isPruned(target: PruneTarget): boolean {
  const params = target instanceof Model ? [...target.params.values()] : target instanceof Param ? [target] : target;
  return params.some((p) => p.mask !== undefined);
}

/**
 * Applies a given 0/1 mask to a param, combined with its existing mask (torch's
 * `prune.custom_from_mask`). The caller keeps ownership of `mask`.
 */
export function customFromMask(p: Param, mask: tf.Tensor): MaskChange {
  if (mask.shape.length !== p.shape.length || mask.shape.some((d, i) => d !== p.shape[i])) {
    throw new ShapeError(`mask of shape [${mask.shape.join(', ')}] does not fit param "${p.name}" of shape [${p.shape.join(', ')}]`);
  }
  const current = maskValues(p);
  const before = countZeros(current);
  const t = tf.tidy(() => tf.reshape(tf.cast(tf.notEqual(mask, 0), 'float32'), [-1]));
  try {
    const given = t.dataSync() as Float32Array;
    for (let i = 0; i < current.length; i++) current[i] = current[i]! * given[i]!;
  } finally {
    t.dispose();
  }
  return attach(p, current, before);
}
