import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';

/**
 * Global magnitude pruning: one |w| threshold over every conv/dense kernel so that `sparsity`
 * of all kernel weights are masked (simple masks through core's Param.setMask).
 */
export function globalMagnitudePrune(model: Model, sparsity: number): number {
  const kernels = [...model.params.values()].filter((p) => p.role === 'kernel');
  const all = new Float32Array(kernels.reduce((a, p) => a + p.size, 0));
  let o = 0;
  for (const p of kernels) {
    const v = tf.tidy(() => tf.abs(p.effective()).dataSync());
    all.set(v, o);
    o += v.length;
  }
  const sorted = all.slice().sort();
  const threshold = sorted[Math.min(sorted.length - 1, Math.floor(sparsity * sorted.length))]!;
  for (const p of kernels) {
    const mask = tf.tidy(() => tf.greaterEqual(tf.abs(p.effective()), threshold));
    p.setMask(mask);
    mask.dispose();
  }
  return threshold;
}

/** Fraction of zeros over all kernels. */
export function kernelSparsity(model: Model): number {
  let zeros = 0;
  let total = 0;
  for (const p of model.params.values()) {
    if (p.role !== 'kernel') continue;
    zeros += p.sparsity() * p.size;
    total += p.size;
  }
  return zeros / total;
}
