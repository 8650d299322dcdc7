import { lastAxis, one } from './common';
import type { ImportContext, LayerEntry } from './types';

/** Binds gamma/beta, or fills them with 1/0 when Keras `scale`/`center` is off. */
function scaleAndCenter(ctx: ImportContext, id: string): void {
  if (ctx.cfg.bool('scale', true)) ctx.weight(id, 'gamma', 'gamma');
  else ctx.fill(id, 'gamma', 1);
  if (ctx.cfg.bool('center', true)) ctx.weight(id, 'beta', 'beta');
  else ctx.fill(id, 'beta', 0);
}

const affineWeights = [
  { keras: 'gamma', role: 'gamma' },
  { keras: 'beta', role: 'beta' },
];

const batchNorm: LayerEntry = {
  className: 'BatchNormalization',
  ops: ['batchNorm'],
  import: (ctx) => {
    const { cfg, layer } = ctx;
    const x = one(ctx);
    lastAxis(ctx, 'axis', ctx.shape(x).length, -1);
    const id = ctx.node('batchNorm', [x], { epsilon: cfg.num('epsilon', 1e-3, 0), momentum: cfg.num('momentum', 0.99, 0, 1) }, layer.name);
    scaleAndCenter(ctx, id);
    ctx.weight(id, 'movingMean', 'moving_mean');
    ctx.weight(id, 'movingVariance', 'moving_variance');
    return id;
  },
  export: {
    batchNorm: (n) => ({
      className: 'BatchNormalization',
      config: { axis: -1, epsilon: n.attrs.epsilon, momentum: n.attrs.momentum, center: true, scale: true },
      weights: [...affineWeights, { keras: 'moving_mean', role: 'movingMean' }, { keras: 'moving_variance', role: 'movingVariance' }],
    }),
  },
};

const layerNorm: LayerEntry = {
  className: 'LayerNormalization',
  ops: ['layerNorm'],
  import: (ctx) => {
    const x = one(ctx);
    lastAxis(ctx, 'axis', ctx.shape(x).length, -1);
    const id = ctx.node('layerNorm', [x], { epsilon: ctx.cfg.num('epsilon', 1e-3, 0) }, ctx.layer.name);
    scaleAndCenter(ctx, id);
    return id;
  },
  export: {
    layerNorm: (n) => ({ className: 'LayerNormalization', config: { axis: -1, epsilon: n.attrs.epsilon, center: true, scale: true }, weights: affineWeights }),
  },
  note: 'over the last axis only',
};

/** Normalization layers. */
export const normEntries: readonly LayerEntry[] = [batchNorm, layerNorm];
