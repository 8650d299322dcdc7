import { withActivation } from './activation';
import { kernelWeights, one } from './common';
import type { LayerEntry } from './types';

const dense: LayerEntry = {
  className: 'Dense',
  ops: ['dense'],
  import: (ctx) => {
    const { cfg, layer } = ctx;
    const useBias = cfg.bool('use_bias', true);
    const id = ctx.node('dense', [one(ctx)], { units: cfg.posInt('units'), useBias }, layer.name);
    ctx.weight(id, 'kernel', 'kernel');
    if (useBias) ctx.weight(id, 'bias', 'bias');
    return withActivation(ctx, id);
  },
  export: {
    dense: (n) => ({
      className: 'Dense',
      config: { units: n.attrs.units, activation: 'linear', use_bias: n.attrs.useBias },
      weights: kernelWeights(n.attrs.useBias, 'kernel'),
      fusesActivation: true,
    }),
  },
};

/** Fully connected layers. */
export const denseEntries: readonly LayerEntry[] = [dense];
