import { layerError } from '../errors';
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

/** Keras' `backend.epsilon()`: Normalization divides by `max(sqrt(variance), 1e-7)`. */
const KERAS_EPSILON = 1e-7;

/**
 * Keras' preprocessing `Normalization` (adapted): `(x - mean) / max(sqrt(variance), 1e-7)` per
 * channel, as two nodes with frozen per-channel constants: `subConst` (the `mean` weight) and
 * `divConst` (from the `variance` weight); its `count` weight is read by nothing.
 */
const normalization: LayerEntry = {
  className: 'Normalization',
  ops: ['subConst', 'divConst'],
  import: (ctx) => {
    const { cfg, layer } = ctx;
    const x = one(ctx);
    const shape = ctx.shape(x);
    lastAxis(ctx, 'axis', shape.length, -1);
    if (cfg.raw('invert') === true) cfg.fail('invert', 'false (an inverted Normalization is not supported)');
    const c = shape.at(-1)!;
    for (const w of ['mean', 'variance']) {
      const s = ctx.weightShape(w);
      if (!s) throw layerError(layer.name, layer.className, `needs the adapted "${w}" weight in the manifest (mean/variance given only in the config are not supported)`);
      if (s.join() !== String(c)) throw layerError(layer.name, layer.className, `weight "${w}" has shape [${s.join(', ')}], expected [${c}] (one value per channel)`);
    }
    const perChannel = [...shape.slice(0, -1).map(() => 1), c]; // [C] broadcast over the sample
    const centred = ctx.node('subConst', [x], { shape: perChannel }, ctx.derivedId('mean'));
    ctx.weight(centred, 'value', 'mean', { frozen: true, map: (v) => v });
    const id = ctx.node('divConst', [centred], { shape: perChannel }, layer.name);
    ctx.weight(id, 'value', 'variance', { frozen: true, map: (v) => v.map((s) => Math.max(Math.sqrt(s), KERAS_EPSILON)) });
    ctx.skipWeight('count');
    return id;
  },
  note: 'adapted, per channel (axis -1), invert false; imported as frozen `subConst` + `divConst`, which export as two per-channel Rescaling layers (tfjs-layers 4.22 has no Normalization layer)',
};

/** Normalization layers. */
export const normEntries: readonly LayerEntry[] = [batchNorm, layerNorm, normalization];
