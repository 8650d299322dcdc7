import { one, plain } from './common';
import type { LayerEntry } from './types';

const dropout: LayerEntry = {
  className: 'Dropout',
  ops: ['dropout'],
  import: (ctx) => ctx.node('dropout', [one(ctx)], { rate: ctx.cfg.num('rate', 0.5, 0, 0.999) }, ctx.layer.name),
  export: { dropout: (n) => plain('Dropout', { rate: n.attrs.rate }) },
  note: '`noise_shape` is ignored (identity in inference)',
};

/** tfjs-layers 4.22 has no SpatialDropout2D: export writes the same semantics as Dropout with noise_shape [null, 1, 1, C]. */
const spatialDropout2d: LayerEntry = {
  className: 'SpatialDropout2D',
  ops: ['spatialDropout'],
  import: (ctx) => {
    ctx.cfg.channelsLast();
    return ctx.node('spatialDropout', [one(ctx)], { rate: ctx.cfg.num('rate', 0.5, 0, 0.999) }, ctx.layer.name);
  },
  export: {
    spatialDropout: (n, _s, g) => {
      const s = g.shape(n.id);
      return plain('Dropout', { rate: n.attrs.rate, noise_shape: [null, ...s.slice(0, -1).map(() => 1), s[s.length - 1]] });
    },
  },
  note: 'exported as Dropout with noise_shape [null, 1, 1, C] (tfjs-layers 4.22 has no SpatialDropout2D)',
};

/** Dropout layers (identity in inference). */
export const dropoutEntries: readonly LayerEntry[] = [dropout, spatialDropout2d];
