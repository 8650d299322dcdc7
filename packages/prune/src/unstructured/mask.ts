import * as tf from '@tensorflow/tfjs-core';
import type { Param } from '@bonsai/core';

/** What one pruning call did to one param. */
export interface MaskChange {
  /** Param name (`node/role`). */
  name: string;
  /** Number of entries. */
  size: number;
  /** Entries newly pruned by this call. */
  added: number;
  /** Entries pruned in total (zeros of the mask) after this call. */
  pruned: number;
}

/** A copy of the param's mask as a flat array, or all ones when it has none. */
export function maskValues(p: Param): Float32Array {
  if (!p.mask) return new Float32Array(p.size).fill(1);
  return Float32Array.from(p.mask.dataSync() as Float32Array);
}

/** A copy of the param's raw values (unmasked). */
export function rawValues(p: Param): Float32Array {
  return Float32Array.from(p.value.dataSync() as Float32Array);
}

/** Number of zeros of a mask array. */
export function countZeros(mask: Float32Array): number {
  let z = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) z++;
  return z;
}

/**
 * Zeroes `indices` in `mask` (a copy of `p`'s current mask) and attaches it to `p`, so the new
 * pruning combines with earlier masks. Returns the change.
 */
export function commitMask(p: Param, mask: Float32Array, indices: ArrayLike<number>): MaskChange {
  const before = countZeros(mask);
  for (let j = 0; j < indices.length; j++) mask[indices[j]!] = 0;
  return attach(p, mask, before);
}

/** Attaches `mask` (already combined) to `p`; `before` is the zero count of the old mask. */
export function attach(p: Param, mask: Float32Array, before: number): MaskChange {
  const t = tf.tensor(mask, p.shape, 'float32');
  try {
    p.setMask(t);
  } finally {
    t.dispose();
  }
  const pruned = countZeros(mask);
  return { name: p.name, size: p.size, added: pruned - before, pruned };
}
