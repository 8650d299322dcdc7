import * as tf from '@tensorflow/tfjs-core';
import { entryMagnitudes, ShapeError, smallestK, type Param } from '@bonsai/core';
import { resolveCount, type Amount } from './amount';
import { attach, countZeros, maskValues, rawValues, type MaskChange } from './mask';
import { resolveTarget, type PruneTarget } from './targets';

/**
 * Importance of every entry of a param (same shape; larger = more important). A function may
 * build tensors freely: it runs inside `tf.tidy`, so the caller's own tensors are left alone.
 */
export type UnstructuredImportance = (p: Param) => tf.Tensor | Float32Array;

/** Options of {@link globalUnstructured}. */
export interface GlobalUnstructuredOptions {
  /** Fraction / count of the still-unpruned entries of all params together. */
  amount: Amount;
  /** Scores per entry: a function, or tensors by param name (torch's `importance_scores`); default `|w|`. */
  importance?: UnstructuredImportance | Readonly<Record<string, tf.Tensor>>;
  /** Restrict a model target to these params (names or node ids); default: every `kernel`. */
  params?: readonly string[];
}

/** Reads the importance scores of `p` as a flat array. */
export function importanceOf(p: Param, importance: GlobalUnstructuredOptions['importance']): Float32Array {
  if (importance === undefined) return entryMagnitudes(rawValues(p));
  let out: Float32Array | undefined;
  tf.tidy(() => {
    const s = typeof importance === 'function' ? importance(p) : importance[p.name];
    if (s === undefined) return;
    const size = s instanceof Float32Array ? s.length : s.size;
    if (size !== p.size) throw new ShapeError(`importance of param "${p.name}" has ${size} entries, the param has ${p.size}`);
    out = s instanceof Float32Array ? Float32Array.from(s) : Float32Array.from(s.dataSync() as Float32Array);
  });
  return out ?? entryMagnitudes(rawValues(p));
}

/**
 * Prunes the lowest-importance entries across all params at once (one global threshold; torch's
 * `prune.global_unstructured` with L1). Layers end up with different sparsities. Masks combine
 * with existing ones: the amount is taken from the entries still unpruned in all params.
 */
export function globalUnstructured(target: PruneTarget, options: GlobalUnstructuredOptions): MaskChange[] {
  const params = resolveTarget(target, options.params);
  const masks = params.map(maskValues);
  const scores = params.map((p) => importanceOf(p, options.importance));
  return pruneGlobally(params, masks, scores, (available) => resolveCount(options.amount, available, 'globalUnstructured'));
}

/**
 * Shared global selection: concatenates the unpruned entries of all params, asks `count` how many
 * to prune, prunes the lowest scores and attaches the combined masks.
 */
export function pruneGlobally(params: readonly Param[], masks: Float32Array[], scores: Float32Array[], count: (available: number) => number): MaskChange[] {
  const offsets: number[] = [];
  let total = 0;
  for (const p of params) {
    offsets.push(total);
    total += p.size;
  }
  const flatScore = new Float32Array(total);
  let alive = 0;
  params.forEach((_, k) => {
    flatScore.set(scores[k]!, offsets[k]!);
    for (const m of masks[k]!) if (m !== 0) alive++;
  });
  const candidates = new Uint32Array(alive);
  let j = 0;
  params.forEach((p, k) => {
    const m = masks[k]!;
    for (let i = 0; i < p.size; i++) if (m[i] !== 0) candidates[j++] = offsets[k]! + i;
  });
  const before = masks.map(countZeros);
  const chosen = smallestK(flatScore, count(alive), candidates);
  for (const g of chosen) {
    let k = params.length - 1;
    while (offsets[k]! > g) k--;
    masks[k]![g - offsets[k]!] = 0;
  }
  return params.map((p, k) => attach(p, masks[k]!, before[k]!));
}
