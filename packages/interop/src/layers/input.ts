import type { ConfigReader } from '../json';
import type { LayerEntry } from './types';

/** Input shape of an InputLayer config (`batch_input_shape` / Keras 3 `batch_shape`), without the batch axis. */
export function inputShape(cfg: ConfigReader): number[] {
  const key = cfg.raw('batch_input_shape') !== undefined ? 'batch_input_shape' : 'batch_shape';
  const v = cfg.raw(key);
  if (!Array.isArray(v) || v.length < 2 || v.slice(1).some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)) {
    return cfg.fail(key, '[null, ...positive integers] (dynamic dimensions are not supported)');
  }
  const dtype = cfg.raw('dtype');
  if (dtype !== undefined && dtype !== null && dtype !== 'float32') cfg.fail('dtype', '"float32"');
  return v.slice(1) as number[];
}

const inputLayer: LayerEntry = {
  className: 'InputLayer',
  source: true,
  ops: ['input'],
  import: (ctx) => ctx.node('input', [], { shape: inputShape(ctx.cfg) }, ctx.layer.name),
  export: {
    input: (n, _s, g) => ({ className: 'InputLayer', config: { batch_input_shape: [null, ...g.shape(n.id)], dtype: 'float32', sparse: false }, weights: [] }),
  },
  note: "`batch_input_shape` / `batch_shape`; Sequential's first-layer shape becomes `<first>_input`",
};

/** The graph input. */
export const inputEntries: readonly LayerEntry[] = [inputLayer];
