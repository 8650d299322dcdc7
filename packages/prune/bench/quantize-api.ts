import type * as tf from '@tensorflow/tfjs-core';
import type { Callback, Model } from '@bonsai/core';

/** The part of @bonsai/quantize the sparsity bench uses (clustering, Huffman, float16, its int file format). */
export interface QuantizeApi {
  kmeans1d(values: ArrayLike<number>, options: { clusters: number; seed?: number; iterations?: number }): { centroids: Float32Array; assignments: Int32Array };
  huffmanEncode(values: ArrayLike<number>): Uint8Array;
  huffmanDecode(bytes: Uint8Array, options?: { maxValues?: number; file?: string }): Int32Array;
  toFloat16Bits(value: number): number;
  fromFloat16Bits(bits: number): number;
  quantizeDynamic(model: Model, options?: { weights?: { dtype?: 'int8' | 'uint8' | 'int4'; bits?: number; symmetric?: boolean; perChannel?: boolean } }): Model & { dispose(): void };
  toQuantizedArtifacts(model: Model, options?: { compress?: boolean; entropyCoding?: boolean }): Promise<{
    json: { quantization: { version: number; weights: Array<{ name: string; encoding: string; length: number }> } };
    weights: ArrayBuffer;
    quantized: Uint8Array;
  }>;
  fromQuantizedArtifacts(art: unknown, options?: string | { file?: string }): Promise<Model & { forward(x: tf.Tensor): tf.Tensor }>;
  clusterWeights(model: Model, options: { clusters: number; others?: number; paramClusters?: Readonly<Record<string, number>>; float16?: boolean; seed?: number }): { model: Model; clusterings: Map<string, unknown> };
  centroidFineTuning(model: Model, clusterings: ReadonlyMap<string, unknown>): Callback;
  saveQuantized(model: Model, dir: string, options?: { compress?: boolean; entropyCoding?: boolean; codebook?: boolean }): Promise<{ bytes: number; files: Record<string, number>; gzipBytes: number }>;
  loadQuantized(dir: string): Promise<Model>;
  foldBatchNorm(model: Model): Model;
}

// @bonsai/quantize is not a dependency of this package: quantize devDepends on prune (its bench
// prunes before quantizing), so a dependency back would be a build cycle. `pnpm bench` builds every
// package first; this bench loads quantize's build from the workspace (as distill's bench loads prune's).
export const quantize = (await import(new URL('../../quantize/dist/index.js', import.meta.url).href)) as QuantizeApi;
