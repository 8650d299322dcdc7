import { GraphBuilder, Model } from '@bonsai/core';
import type { ModelOptions } from './mlp';

/**
 * Tiny ViT-ish model: 7x7 patch embedding (strided conv) -> tokens -> [layerNorm, MLP with GELU,
 * residual add] x depth -> layerNorm -> mean over tokens -> classifier. (Token-mixing MLP only;
 * no attention op in the IR yet.)
 */
export function tinyVit(o: ModelOptions & { dim?: number; depth?: number; mlpRatio?: number } = {}): Model {
  const dim = o.dim ?? 32;
  const b = new GraphBuilder();
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  const patches = b.conv2d(x, { filters: dim, kernel: 7, strides: 7, padding: 'valid', name: 'patch_embed' });
  let h = b.reshape(patches, { shape: [16, dim], name: 'tokens' });
  for (let i = 0; i < (o.depth ?? 2); i++) {
    const n = b.layerNorm(h, { name: `blk${i + 1}_ln` });
    const m = b.dense(b.gelu(b.dense(n, { units: dim * (o.mlpRatio ?? 2), name: `blk${i + 1}_fc1` })), { units: dim, name: `blk${i + 1}_fc2` });
    h = b.add([h, m], { name: `blk${i + 1}_add` });
  }
  h = b.layerNorm(h, { name: 'ln_final' });
  h = b.flatten(h, { name: 'flatten' });
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 10, name: 'head' })), { seed: o.seed ?? 0 });
}
