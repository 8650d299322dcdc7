import { CHANNELS_LAST, convPadding, one, plain } from './common';
import type { LayerEntry, LayerExporter } from './types';

function pool(className: string, alias: string, op: 'maxPool' | 'avgPool'): LayerEntry {
  const exporter: LayerExporter = (n) => plain(className, { pool_size: n.attrs.pool, strides: n.attrs.strides, padding: n.attrs.padding, ...CHANNELS_LAST });
  return {
    className,
    aliases: [alias],
    ops: [op],
    import: (ctx) => {
      const { cfg, layer } = ctx;
      cfg.channelsLast();
      const p = cfg.pair('pool_size', 2);
      const strides = cfg.raw('strides') === null || cfg.raw('strides') === undefined ? p : cfg.pair('strides');
      return ctx.node(op, [one(ctx)], { pool: p, strides, padding: convPadding(ctx) }, layer.name);
    },
    export: { [op]: exporter },
  };
}

function globalPool(className: string, alias: string, op: 'globalAvgPool' | 'globalMaxPool'): LayerEntry {
  return {
    className,
    aliases: [alias],
    ops: [op],
    import: (ctx) => {
      ctx.cfg.channelsLast();
      if (ctx.cfg.bool('keepdims', false)) ctx.cfg.fail('keepdims', 'false');
      return ctx.node(op, [one(ctx)], {}, ctx.layer.name);
    },
    export: { [op]: () => plain(className, { ...CHANNELS_LAST }) },
    note: 'keepdims false only',
  };
}

/** Pooling layers. */
export const poolingEntries: readonly LayerEntry[] = [
  pool('MaxPooling2D', 'MaxPool2D', 'maxPool'),
  pool('AveragePooling2D', 'AvgPool2D', 'avgPool'),
  globalPool('GlobalAveragePooling2D', 'GlobalAvgPool2D', 'globalAvgPool'),
  globalPool('GlobalMaxPooling2D', 'GlobalMaxPool2D', 'globalMaxPool'),
];
