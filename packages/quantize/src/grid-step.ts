/**
 * Detection of a uniform grid in a set of values: weights that were quantized before (a tfjs
 * converter `--quantize_uint8` model stores `(q - zeroPoint) * scale`), possibly multiplied by a
 * per-channel factor since (batch-norm folding). Pure functions on plain arrays.
 */

/** Largest divisor of the smallest gap tried when looking for the grid step. */
const MAX_DIVISOR = 16;
/** How far from an integer multiple of the step (in steps) a value may sit and still count as on the grid. */
const TOLERANCE = 0.05;

/**
 * The step `g` of the grid through zero that `values` sit on (every value within 5% of a step
 * of `k * g` for an integer k), spanning at most `maxLevels` steps from the smallest to the
 * largest value (and zero); 0 when there is none, or when every value is 0. The step is refined
 * by least squares over the values, smallest first, so float noise in the stored values (about
 * 1e-4 of a step in converter output) does not accumulate. Candidates are the smallest gap
 * between distinct values divided by 1..16, largest first.
 */
export function detectGridStep(values: ArrayLike<number>, maxLevels: number): number {
  const distinct = Float64Array.from(new Set(Array.from(values))).sort();
  // The grid runs through zero: the span counts from zero when every value has one sign.
  const span = Math.max(0, distinct[distinct.length - 1] ?? 0) - Math.min(0, distinct[0] ?? 0);
  if (span === 0) return 0;
  const floor = 1e-6 * span;
  let gap = Infinity;
  let prev = 0;
  let hasPrev = false;
  for (const v of [...distinct, 0].sort((a, b) => a - b)) {
    if (hasPrev && v - prev > floor) gap = Math.min(gap, v - prev);
    prev = v;
    hasPrev = true;
  }
  if (!Number.isFinite(gap)) return 0;
  const byMagnitude = Array.from(distinct).sort((a, b) => Math.abs(a) - Math.abs(b));
  for (let m = 1; m <= MAX_DIVISOR; m++) {
    const start = gap / m;
    if (span / start > maxLevels + TOLERANCE) break;
    const g = refine(byMagnitude, start);
    if (g > 0 && span / g <= maxLevels + TOLERANCE) return g;
  }
  return 0;
}

/** Least-squares step through `sorted` (ascending |v|) from `start`; 0 when a value leaves the grid. */
function refine(sorted: readonly number[], start: number): number {
  let g = start;
  let svk = 0;
  let skk = 0;
  for (const v of sorted) {
    const k = Math.round(v / g);
    if (Math.abs(v / g - k) > TOLERANCE) return 0;
    if (k !== 0) {
      svk += v * k;
      skk += k * k;
      g = svk / skk;
    }
  }
  return g;
}
