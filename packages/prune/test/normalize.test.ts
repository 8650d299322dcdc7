import { describe, expect, it } from 'vitest';
import { normalizeScores, type Normalizer } from '../src/structured/normalize';

/** The normalizers as written before the typed-array loops (one pass for sum / max / min, forEach). */
function reference(scores: Float32Array, normalizer: Exclude<Normalizer, null | ((s: Float32Array) => Float32Array)>): Float32Array {
  const n = scores.length;
  const out = new Float32Array(n);
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
  if (normalizer === 'mean') scores.forEach((s, i) => (out[i] = s / (mean + eps)));
  if (normalizer === 'max') scores.forEach((s, i) => (out[i] = s / (max + eps)));
  if (normalizer === 'sum') scores.forEach((s, i) => (out[i] = s / (sum + eps)));
  if (normalizer === 'standardization') scores.forEach((s, i) => (out[i] = (s - min) / (max - min + eps)));
  if (normalizer === 'gaussian') {
    let v = 0;
    for (const s of scores) v += (s - mean) ** 2;
    const std = Math.sqrt(v / n);
    scores.forEach((s, i) => (out[i] = (s - mean) / (std + eps)));
  }
  if (normalizer === 'lamp') {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    let cum = 0;
    for (const i of order) {
      cum += scores[i]!;
      out[i] = scores[i]! / (cum + eps);
    }
  }
  return out;
}

describe('normalizeScores', () => {
  it('equals the reference formulas bitwise for every named normalizer', () => {
    const scores = Float32Array.from({ length: 257 }, (_, i) => Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 7 + (i % 5 === 0 ? 0 : 0.001));
    for (const normalizer of ['mean', 'max', 'sum', 'standardization', 'gaussian', 'lamp'] as const) {
      expect(Array.from(normalizeScores(scores, normalizer)), normalizer).toEqual(Array.from(reference(scores, normalizer)));
    }
    expect(Array.from(normalizeScores(scores, null))).toEqual(Array.from(scores));
    expect(normalizeScores(new Float32Array(0), 'mean').length).toBe(0);
  });
});
