/**
 * Averages the per-worker shard gradients into the gradient of the global batch's mean loss,
 * in float32 and in a fixed order, so the result does not depend on which worker finished first.
 */

/**
 * `slots` holds one gradient of `size` floats per worker (worker r at `r * size`), each the
 * gradient of the mean loss over that worker's `counts[r]` rows. Workers without rows are
 * skipped. Equal shards: `(g_0 + g_1 + ...) / K`; unequal: `(n_0 * g_0 + n_1 * g_1 + ...) / n`.
 * Every operation is rounded to float32 in that order, which is what the same sums written
 * with tfjs ops compute (`tf.div(tf.add(g0, g1), 2)`), so a single-thread gradient
 * accumulation over the same micro-batches is bit-identical.
 */
export function averageShards(slots: Float32Array, size: number, counts: readonly number[]): Float32Array {
  const active = counts.map((n, r) => [n, r] as const).filter(([n]) => n > 0);
  const equal = active.every(([n]) => n === active[0]![0]);
  const total = active.reduce((a, [n]) => a + n, 0);
  const out = new Float32Array(size);
  const [n0, r0] = active[0]!;
  // Start from the first shard itself (not 0 + g: that would turn -0 into +0).
  if (equal) out.set(slots.subarray(r0 * size, (r0 + 1) * size));
  else for (let i = 0; i < size; i++) out[i] = Math.fround(slots[r0 * size + i]! * n0);
  if (active.length === 1) return out;
  for (const [n, r] of active.slice(1)) {
    const base = r * size;
    if (equal) for (let i = 0; i < size; i++) out[i] = out[i]! + slots[base + i]!;
    else for (let i = 0; i < size; i++) out[i] = out[i]! + Math.fround(slots[base + i]! * n);
  }
  const divisor = equal ? active.length : total;
  for (let i = 0; i < size; i++) out[i] = out[i]! / divisor;
  return out;
}
