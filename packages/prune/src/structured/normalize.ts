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
  const out = new Float32Array(n);
  if (n === 0) return out;
  let sum = 0;
  let max = -Infinity;
  let min = Infinity;
  for (const s of scores) {
    sum += s;
    max = Math.max(max, s);
    min = Math.min(min, s);
  }
  const mean = sum / n;
  const eps = 1e-8;
  switch (normalizer) {
    case 'mean':
      scores.forEach((s, i) => (out[i] = s / (mean + eps)));
      return out;
    case 'max':
      scores.forEach((s, i) => (out[i] = s / (max + eps)));
      return out;
    case 'sum':
      scores.forEach((s, i) => (out[i] = s / (sum + eps)));
      return out;
    case 'standardization':
      scores.forEach((s, i) => (out[i] = (s - min) / (max - min + eps)));
      return out;
    case 'gaussian': {
      let v = 0;
      for (const s of scores) v += (s - mean) ** 2;
      const std = Math.sqrt(v / n);
      scores.forEach((s, i) => (out[i] = (s - mean) / (std + eps)));
      return out;
    }
    case 'lamp': {
      // Sort descending; each score is divided by the sum of all scores at least as large.
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
      let cum = 0;
      for (const i of order) {
        cum += scores[i]!;
        out[i] = scores[i]! / (cum + eps);
      }
      return out;
    }
    default:
      throw new ConfigError(`Unknown normalizer ${JSON.stringify(normalizer)}: use mean, max, sum, standardization, gaussian, lamp, null or a function`, { key: 'normalizer' });
  }
}
