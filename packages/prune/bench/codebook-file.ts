import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Callback, Model } from '@bonsai/core';
import { quantize } from './quantize-api';

/** Options of {@link clusteredFile}. */
export interface ClusteredFileOptions {
  /** Centroids per conv/dense kernel. */
  kernelClusters: number;
  /** Centroids of every other param: biases, batch-norm scales and statistics (default 16). */
  otherClusters?: number;
  /** Centroids of particular params by name, overriding the two above. */
  paramClusters?: Readonly<Record<string, number>>;
  /** k-means seed (default 0). */
  seed?: number;
  /**
   * Trains the clustered copy before it is written, given the centroid fine-tuning callback
   * (@bonsai/quantize's `centroidFineTuning`: the weights stay `k` shared values and the zeros).
   */
  fineTune?: (clustered: Model, centroids: Callback) => Promise<void>;
}

/**
 * A Deep-Compression-style Bonsai file (Han et al. 2016): `model`'s params clustered with
 * @bonsai/quantize's sparsity-preserving k-means++ (`clusterWeights`, float16 centroids), written
 * by `saveQuantized({ codebook: true, entropyCoding: true })` (the codebook layout: float16
 * centroids, Huffman-coded gaps and centroid indices in weights.q.bin; with `fineTune`, after the
 * centroids were trained), and read back with
 * `loadQuantized`, so accuracy is measured on what Bonsai's loader gives back. Returns the loaded
 * model (caller disposes), the bytes of the three files raw and gzipped, and bytes per file.
 */
export async function clusteredFile(model: Model, o: ClusteredFileOptions): Promise<{ model: Model; bytes: number; gzip: number; files: Record<string, number> }> {
  const cluster = (m: Model): { model: Model; clusterings: Map<string, unknown> } => quantize.clusterWeights(m, { clusters: o.kernelClusters, others: o.otherClusters ?? 16, ...(o.paramClusters ? { paramClusters: o.paramClusters } : {}), float16: true, seed: o.seed ?? 0 });
  let { model: clustered, clusterings } = cluster(model);
  if (o.fineTune) {
    await o.fineTune(clustered, quantize.centroidFineTuning(clustered, clusterings));
    // Trained centroids are float32: clustering the k shared values again rounds them to float16.
    const trained = clustered;
    clustered = cluster(trained).model;
    trained.dispose();
  }
  const dir = await mkdtemp(join(tmpdir(), 'bonsai-clustered-'));
  try {
    const sizes = await quantize.saveQuantized(clustered, dir, { codebook: true, entropyCoding: true });
    const loaded = await quantize.loadQuantized(dir);
    return { model: loaded, bytes: sizes.bytes, gzip: sizes.gzipBytes, files: sizes.files };
  } finally {
    clustered.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
