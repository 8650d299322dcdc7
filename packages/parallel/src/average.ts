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
 * accumulation over the same micro-batches is bit-identical. One pass over the shards.
 */
export function averageShards(slots: Float32Array, size: number, counts: readonly number[]): Float32Array {
  const active = counts.map((n, r) => [n, r] as const).filter(([n]) => n > 0);
  const equal = active.every(([n]) => n === active[0]![0]);
  const total = active.reduce((a, [n]) => a + n, 0);
  const out = new Float32Array(size);
  const [n0, r0] = active[0]!;
  // Start from the first shard itself (not 0 + g: that would turn -0 into +0).
  if (active.length === 1) {
    out.set(slots.subarray(r0 * size, (r0 + 1) * size));
    return out;
  }
  const bases = Int32Array.from(active.slice(1), ([, r]) => r * size);
  const weights = Float64Array.from(active.slice(1), ([n]) => n);
  if (equal && bases.length === 1) sumTwo(slots, r0 * size, bases[0]!, active.length, out);
  else sumAll(slots, r0 * size, n0, bases, weights, equal, equal ? active.length : total, out);
  return out;
}

/** `out[i] = (a[i] + b[i]) / divisor`, each operation rounded to float32 (the two-worker case, one pass). */
function sumTwo(slots: Float32Array, a: number, b: number, divisor: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(slots[a + i]! + slots[b + i]!) / divisor;
}

/** The general case in one pass over every shard: weighted by row counts unless `equal`, each operation rounded to float32. */
function sumAll(slots: Float32Array, first: number, n0: number, bases: Int32Array, weights: Float64Array, equal: boolean, divisor: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    let acc = equal ? slots[first + i]! : Math.fround(slots[first + i]! * n0);
    for (let k = 0; k < bases.length; k++) acc = Math.fround(acc + (equal ? slots[bases[k]! + i]! : Math.fround(slots[bases[k]! + i]! * weights[k]!)));
    out[i] = acc / divisor;
  }
}
