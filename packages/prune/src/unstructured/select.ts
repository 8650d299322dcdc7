/**
 * Indices of the `k` candidates with the smallest score; ties go to the lower index, so the
 * choice is deterministic. `candidates` holds indices into `score`.
 */
export function smallestK(score: (i: number) => number, candidates: Uint32Array, k: number): Uint32Array {
  if (k <= 0) return new Uint32Array(0);
  if (k >= candidates.length) return candidates.slice();
  const keys = new Float64Array(candidates.length);
  for (let j = 0; j < candidates.length; j++) keys[j] = score(candidates[j]!);
  const order = new Uint32Array(candidates.length);
  for (let j = 0; j < order.length; j++) order[j] = j;
  order.sort((a, b) => keys[a]! - keys[b]! || candidates[a]! - candidates[b]!);
  const out = new Uint32Array(k);
  for (let j = 0; j < k; j++) out[j] = candidates[order[j]!]!;
  return out;
}

/** Indices `i` with `mask[i] !== 0` (all indices when there is no mask). */
export function unprunedIndices(mask: Float32Array | undefined, size: number): Uint32Array {
  if (!mask) {
    const all = new Uint32Array(size);
    for (let i = 0; i < size; i++) all[i] = i;
    return all;
  }
  let n = 0;
  for (let i = 0; i < size; i++) if (mask[i] !== 0) n++;
  const out = new Uint32Array(n);
  let j = 0;
  for (let i = 0; i < size; i++) if (mask[i] !== 0) out[j++] = i;
  return out;
}
