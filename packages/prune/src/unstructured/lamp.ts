import * as tf from '@tensorflow/tfjs-core';
import type { Param } from '@bonsai/core';
import type { UnstructuredImportance } from './global';

/**
 * LAMP scores of a param's entries (Lee et al., "Layer-adaptive Sparsity for the Magnitude-based
 * Pruning", ICLR 2021): `w_u^2 / sum of w_v^2 over the surviving v with |w_v| >= |w_u|`. The
 * largest surviving weight of every layer scores 1, so one global threshold over LAMP scores
 * never empties a layer and adapts each layer's sparsity to its own scale (a global |w|
 * threshold over-prunes layers with small weights, e.g. wide fan-in dense layers).
 * Masked entries count as zero. Use as `importance` of {@link globalUnstructured},
 * {@link gradualPruning} or {@link rewindPruning}.
 */
export const lampImportance: UnstructuredImportance = (p: Param): Float32Array => {
  const w = tf.tidy(() => p.effective().dataSync() as Float32Array);
  const sq = Float64Array.from(w, (v) => v * v);
  const order = Array.from(sq.keys()).sort((a, b) => sq[b]! - sq[a]!);
  const out = new Float32Array(w.length);
  let tail = 0;
  for (const i of order) {
    tail += sq[i]!;
    out[i] = tail > 0 ? sq[i]! / tail : 0;
  }
  // Ties: equal magnitudes get the score of the first of them in descending order.
  for (let k = 1; k < order.length; k++) if (sq[order[k]!] === sq[order[k - 1]!]) out[order[k]!] = out[order[k - 1]!]!;
  return out;
};
