import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, type Model } from '@bonsai/core';
import { fromFloat16Bits, toFloat16Bits } from './float16';
import { weightTargets } from './placement';

/** Options of {@link kmeans1d} and {@link clusterWeights}. */
export interface ClusterOptions {
  /** Number of centroids (nonzero values; zeros are kept apart). */
  clusters: number;
  /** Seed of the k-means++ initialization (default 0). */
  seed?: number;
  /** Lloyd iterations at most (default 50). */
  iterations?: number;
  /** Round the final centroids to float16 (so saveQuantized's codebook layout stores them in 2 bytes; default false). */
  float16?: boolean;
}

/** Options of {@link clusterWeights}. */
export interface ClusterWeightsOptions extends ClusterOptions {
  /** Also cluster every other param (biases, batch-norm scales and statistics) to this many centroids (default: they stay as they are). */
  others?: number;
  /** Centroids of particular params by name (e.g. `{ 'conv1/kernel': 16 }`), overriding `clusters` / `others`; each must name a param. */
  paramClusters?: Readonly<Record<string, number>>;
}

/** Centroids and, per value, its centroid index (-1 for a kept zero). */
export interface Clustering {
  centroids: Float32Array;
  assignments: Int32Array;
}

/** Index of the nearest centroid of sorted `c` (binary search). */
function nearest(c: Float32Array, v: number): number {
  let lo = 0;
  let hi = c.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (c[mid]! <= v) lo = mid;
    else hi = mid;
  }
  return Math.abs(v - c[lo]!) <= Math.abs(v - c[hi]!) ? lo : hi;
}

/**
 * Sparsity-preserving 1-D k-means (as tfmot's clustering with `preserve_sparsity`): exact zeros
 * stay zero and are no cluster; the nonzeros get `clusters` centroids, initialized by seeded
 * k-means++ (Arthur & Vassilvitskii 2007) and refined by Lloyd iterations.
 */
export function kmeans1d(values: ArrayLike<number>, options: ClusterOptions): Clustering {
  const k = options.clusters;
  const iterations = options.iterations ?? 50;
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`clusters must be a positive integer, got ${k}`, { option: 'clusters' });
  if (!Number.isInteger(iterations) || iterations < 0) throw new ConfigError(`iterations must be a non-negative integer, got ${iterations}`, { option: 'iterations' });
  const nz: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) nz.push(i);
  const assignments = new Int32Array(values.length).fill(-1);
  if (nz.length === 0) return { centroids: new Float32Array(0), assignments };
  const rng = createRng(options.seed ?? 0);
  const chosen: number[] = [values[nz[Math.floor(rng() * nz.length)]!]!];
  const d2 = nz.map((i) => (values[i]! - chosen[0]!) ** 2);
  while (chosen.length < Math.min(k, nz.length)) {
    const total = d2.reduce((a, b) => a + b, 0);
    if (total === 0) break;
    let r = rng() * total;
    let pick = d2.length - 1;
    for (let j = 0; j < d2.length; j++) {
      r -= d2[j]!;
      if (r <= 0) {
        pick = j;
        break;
      }
    }
    const c = values[nz[pick]!]!;
    chosen.push(c);
    for (let j = 0; j < d2.length; j++) d2[j] = Math.min(d2[j]!, (values[nz[j]!]! - c) ** 2);
  }
  let centroids = Float32Array.from(chosen).sort();
  for (let it = 0; it < iterations; it++) {
    const sum = new Float64Array(centroids.length);
    const count = new Float64Array(centroids.length);
    for (const i of nz) {
      const c = nearest(centroids, values[i]!);
      sum[c]! += values[i]!;
      count[c]! += 1;
    }
    const next = Float32Array.from(centroids, (c, j) => (count[j]! > 0 ? sum[j]! / count[j]! : c)).sort();
    const moved = next.some((c, j) => c !== centroids[j]);
    centroids = next;
    if (!moved) break;
  }
  if (options.float16) centroids = Float32Array.from(new Set(Array.from(centroids, (c) => fromFloat16Bits(toFloat16Bits(c))))).sort();
  for (const i of nz) assignments[i] = nearest(centroids, values[i]!);
  return { centroids, assignments };
}

/** The values a clustering stands for: its centroid per value, 0 for kept zeros. */
export function clusteredValues({ centroids, assignments }: Clustering): Float32Array {
  return Float32Array.from(assignments, (a) => (a < 0 ? 0 : centroids[a]!));
}

/**
 * Gradient of the loss with respect to each centroid (the fine-tuning step of Han et al. 2016,
 * "Deep Compression", §3.1): the sum of the weight gradients over the weights assigned to it.
 */
export function centroidGradients(weightGrad: ArrayLike<number>, clustering: Clustering): Float32Array {
  const g = new Float64Array(clustering.centroids.length);
  clustering.assignments.forEach((a, i) => {
    if (a >= 0) g[a]! += weightGrad[i]!;
  });
  return Float32Array.from(g);
}

/**
 * Clusters every quantizable weight of a copy of `model` (per tensor; with `others`, every other
 * param too) and writes the centroid values into it; returns the copy and the clustering of each param (fine-tune the centroids with
 * {@link centroidGradients}). The input model is unchanged.
 */
export function clusterWeights(model: Model, options: ClusterWeightsOptions): { model: Model; clusterings: Map<string, Clustering> } {
  for (const name of Object.keys(options.paramClusters ?? {})) {
    if (!model.params.has(name)) throw new ConfigError(`clusterWeights: paramClusters names "${name}", which is not a param of the model`, { param: name });
  }
  const out = model.clone();
  const clusterings = new Map<string, Clustering>();
  try {
    const weights = new Set(weightTargets(out, {}).keys());
    for (const p of out.params.values()) {
      const name = p.name;
      const k = options.paramClusters?.[name] ?? (weights.has(name) ? options.clusters : options.others);
      if (k === undefined) continue;
      const values = tf.tidy(() => p.effective().dataSync() as Float32Array);
      const c = kmeans1d(values, { ...options, clusters: k });
      clusterings.set(name, c);
      const t = tf.tensor(clusteredValues(c), p.shape);
      p.assign(t);
      t.dispose();
    }
    return { model: out, clusterings };
  } catch (e) {
    out.dispose();
    throw e;
  }
}
