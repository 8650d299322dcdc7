import { ConfigError, GraphBuilder, Model, type NodeId } from '@bonsai/core';
import type { ModelOptions } from './mlp';

/** Options of {@link vit}. */
export interface VitOptions extends ModelOptions {
  /** Patch size: a `patch` x `patch` stride-`patch` conv embeds each patch (default 7). */
  patch?: number;
  /** Embedding width of the residual stream (default 32). */
  dim?: number;
  /** Number of transformer blocks (default 2). */
  depth?: number;
  /** Attention heads per block; `dim` must be a multiple (head dim = dim / heads; default 4). */
  heads?: number;
  /** MLP hidden width = mlpRatio * dim (default 2). */
  mlpRatio?: number;
  /** Prepend a class token and classify from it (default false: mean over tokens). */
  classToken?: boolean;
  /** One fused [dim, 3 * dim] QKV projection per block instead of three (default false). */
  fusedQkv?: boolean;
}

function posInt(v: number, option: string): number {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`vit: ${option} must be a positive integer, got ${v}`, { option });
  return v;
}

/**
 * A small Vision Transformer (Dosovitskiy et al.): patch-embedding conv -> tokens
 * (`spatialReshape`, channels stay prunable) -> optional class token -> learned positional
 * embedding -> `depth` pre-norm blocks [x + MHA(LN(x)), x + fc2(gelu(fc1(LN(x))))] -> final layer
 * norm -> mean over tokens (or the class token) -> classifier `head`. Node names per block i
 * (1-based): `blk{i}_ln1`, `blk{i}_attn`, `blk{i}_add1`, `blk{i}_ln2`, `blk{i}_fc1`, `blk{i}_fc2`,
 * `blk{i}_add2` (the block's output, for distillation features).
 */
export function vit(o: VitOptions = {}): Model {
  const patch = posInt(o.patch ?? 7, 'patch');
  const dim = posInt(o.dim ?? 32, 'dim');
  const depth = posInt(o.depth ?? 2, 'depth');
  const heads = posInt(o.heads ?? 4, 'heads');
  const hidden = posInt(Math.round((o.mlpRatio ?? 2) * dim), 'mlpRatio * dim');
  if (dim % heads !== 0) throw new ConfigError(`vit: dim ${dim} is not a multiple of heads ${heads}`, { option: 'heads' });
  const shape = o.inputShape ?? [28, 28, 1];
  const [h, w] = shape;
  if (shape.length !== 3 || h! % patch !== 0 || w! % patch !== 0) {
    throw new ConfigError(`vit: inputShape [${shape.join(', ')}] must be [h, w, c] with h and w multiples of patch ${patch}`, { option: 'inputShape' });
  }
  const b = new GraphBuilder();
  const x = b.input(shape, { name: 'input' });
  const patches = b.conv2d(x, { filters: dim, kernel: patch, strides: patch, padding: 'valid', name: 'patch_embed' });
  let t: NodeId = b.op('spatialReshape', [patches], { spatial: [(h! / patch) * (w! / patch)] }, 'tokens');
  if (o.classToken) t = b.op('prependClassToken', [t], {}, 'cls_token');
  t = b.op('addPositionEmbedding', [t], {}, 'pos_embed');
  for (let i = 1; i <= depth; i++) {
    const attn = b.op('multiHeadAttention', [b.layerNorm(t, { name: `blk${i}_ln1` })], { numHeads: heads, headDim: dim / heads, fusedQkv: o.fusedQkv ?? false }, `blk${i}_attn`);
    t = b.add([t, attn], { name: `blk${i}_add1` });
    const fc1 = b.dense(b.layerNorm(t, { name: `blk${i}_ln2` }), { units: hidden, name: `blk${i}_fc1` });
    const fc2 = b.dense(b.gelu(fc1, { name: `blk${i}_gelu` }), { units: dim, name: `blk${i}_fc2` });
    t = b.add([t, fc2], { name: `blk${i}_add2` });
  }
  t = b.layerNorm(t, { name: 'ln_final' });
  const pooled = o.classToken
    ? b.op('stridedSlice', [t], { begin: [0, 0], end: [1, dim], strides: [1, 1], shrinkAxes: [0] }, 'pool')
    : b.op('mean', [t], { axes: [0] }, 'pool');
  return Model.create(b.build(b.dense(pooled, { units: o.numClasses ?? 10, name: 'head' })), { seed: o.seed ?? 0 });
}
