import { ConfigError } from '@bonsai/core';

/**
 * How a group's unit scores are rescaled before ranking (Torch-Pruning's normalizers):
 * 'mean' (s / mean), 'max' (s / max), 'sum' (s / sum), 'standardization' ((s - min) / (max - min)),
 * 'gaussian' ((s - mean) / std), 'lamp' (LAMP: s / sum of the scores >= s), null (raw) or a function.
 */
export type Normalizer = 'mean' | 'max' | 'sum' | 'standardization' | 'gaussian' | 'lamp' | null | ((scores: Float32Array) => Float32Array);

/** Applies a {@link Normalizer} to a copy of `scores`. */
export function normalizeScores(scores: Float32Array, normalizer: Normalizer): Float32Array {
  if (normalizer === null) return Float32Array.from(scores);
  if (typeof normalizer === 'function') return normalizer(Float32Array.from(scores));
  const n = scores.length;
  if (n === 0) return new Float32Array(0);
  const eps = 1e-8;
  switch (normalizer) {
    case 'mean':
      return scaled(scores, 0, sumOf(scores) / n + eps);
    case 'max':
      return scaled(scores, 0, maxOf(scores) + eps);
    case 'sum':
      return scaled(scores, 0, sumOf(scores) + eps);
    case 'standardization': {
      const min = minOf(scores);
      return scaled(scores, min, maxOf(scores) - min + eps);
    }
    case 'gaussian': {
      const mean = sumOf(scores) / n;
      return scaled(scores, mean, Math.sqrt(squaredDeviations(scores, mean) / n) + eps);
    }
    case 'lamp':
      return lampScores(scores, eps);
    default:
      throw new ConfigError(`Unknown normalizer ${JSON.stringify(normalizer)}: use mean, max, sum, standardization, gaussian, lamp, null or a function`, { key: 'normalizer' });
  }
}

/** `(s - shift) / divisor` of every score (in float64, rounded to float32 once). */
function scaled(scores: Float32Array, shift: number, divisor: number): Float32Array {
  const out = new Float32Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = (scores[i]! - shift) / divisor;
  return out;
}

function sumOf(scores: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += scores[i]!;
  return sum;
}

function maxOf(scores: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]!);
  return max;
}

function minOf(scores: Float32Array): number {
  let min = Infinity;
  for (let i = 0; i < scores.length; i++) min = Math.min(min, scores[i]!);
  return min;
}

function squaredDeviations(scores: Float32Array, mean: number): number {
  let v = 0;
  for (let i = 0; i < scores.length; i++) v += (scores[i]! - mean) ** 2;
  return v;
}

/** LAMP: scores sorted descending, each divided by the sum of all scores at least as large. */
function lampScores(scores: Float32Array, eps: number): Float32Array {
  const n = scores.length;
  const out = new Float32Array(n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let cum = 0;
  for (const i of order) {
    cum += scores[i]!;
    out[i] = scores[i]! / (cum + eps);
  }
  return out;
}
