import { sizeOf } from '@bonsai/core';
import { CHANNELS_LAST, identityLayer, one, plain } from './common';
import type { LayerEntry } from './types';

const flatten: LayerEntry = {
  className: 'Flatten',
  ops: ['flatten'],
  import: (ctx) => {
    ctx.cfg.channelsLast();
    return ctx.node('flatten', [one(ctx)], {}, ctx.layer.name);
  },
  // tfjs Flatten needs rank >= 3 tensors; flattening a vector is the identity.
  export: { flatten: (_n, shapes) => (shapes[0]!.length <= 1 ? identityLayer() : plain('Flatten', { ...CHANNELS_LAST })) },
};

/**
 * Reshape keeping the channel axis ([C] -> [1, 1, C] in squeeze-and-excite, [H, W, C] -> [H*W, C])
 * becomes `spatialReshape`, which channel pruning crosses; any other target is a `reshape` barrier.
 */
const reshape: LayerEntry = {
  className: 'Reshape',
  ops: ['reshape', 'spatialReshape'],
  import: (ctx) => {
    const x = one(ctx);
    const t = ctx.cfg.raw('target_shape');
    if (!Array.isArray(t) || t.length === 0 || t.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || (d < 1 && d !== -1))) {
      return ctx.cfg.fail('target_shape', 'a list of positive integers (at most one -1)');
    }
    const s = ctx.shape(x);
    const c = s[s.length - 1]!;
    const spatial = (t as number[]).slice(0, -1);
    if (t[t.length - 1] === c && !spatial.includes(-1) && sizeOf(spatial) * c === sizeOf(s)) {
      return ctx.node('spatialReshape', [x], { spatial }, ctx.layer.name);
    }
    return ctx.node('reshape', [x], { shape: t as number[] }, ctx.layer.name);
  },
  export: {
    reshape: (n, _s, g) => plain('Reshape', { target_shape: [...g.shape(n.id)] }),
    spatialReshape: (n, _s, g) => plain('Reshape', { target_shape: [...g.shape(n.id)] }),
  },
  note: 'a target that keeps the channel axis becomes spatialReshape (prunable through), others reshape (a barrier)',
};

const permute: LayerEntry = {
  className: 'Permute',
  ops: ['permute'],
  import: (ctx) => {
    const x = one(ctx);
    const dims = ctx.cfg.raw('dims');
    const rank = ctx.shape(x).length;
    if (!Array.isArray(dims) || dims.length !== rank || dims.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d))) {
      return ctx.cfg.fail('dims', `a permutation of 1..${rank}`);
    }
    return ctx.node('permute', [x], { perm: (dims as number[]).map((d) => d - 1) }, ctx.layer.name);
  },
  export: { permute: (n) => plain('Permute', { dims: (n.attrs.perm as readonly number[]).map((p) => p + 1) }) },
};

/** Reshaping layers. */
export const reshapeEntries: readonly LayerEntry[] = [flatten, reshape, permute];
