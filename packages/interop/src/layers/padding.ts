import { InteropError } from '../errors';
import { CHANNELS_LAST, one, plain, spatialPairs } from './common';
import type { LayerEntry } from './types';

const zeroPadding2d: LayerEntry = {
  className: 'ZeroPadding2D',
  ops: ['pad2d'],
  import: (ctx) => {
    ctx.cfg.channelsLast();
    return ctx.node('pad2d', [one(ctx)], { pads: spatialPairs(ctx, 'padding', 1), mode: 'constant', value: 0 }, ctx.layer.name);
  },
  export: {
    pad2d: (n) => {
      if (n.attrs.mode !== 'constant' || n.attrs.value !== 0) {
        throw new InteropError(`Node "${n.id}" (pad2d): ${String(n.attrs.mode)} padding with value ${String(n.attrs.value)} has no tfjs-layers 4.22 equivalent (ZeroPadding2D pads with zeros)`, { nodeId: n.id, op: n.op });
      }
      const [t, b, l, r] = n.attrs.pads as readonly number[];
      return plain('ZeroPadding2D', { padding: [[t, b], [l, r]], ...CHANNELS_LAST });
    },
  },
  note: 'constant zero padding only on export',
};

const cropping2d: LayerEntry = {
  className: 'Cropping2D',
  ops: ['crop2d'],
  import: (ctx) => {
    ctx.cfg.channelsLast();
    return ctx.node('crop2d', [one(ctx)], { crops: spatialPairs(ctx, 'cropping', 0) }, ctx.layer.name);
  },
  export: {
    crop2d: (n) => {
      const [t, b, l, r] = n.attrs.crops as readonly number[];
      return plain('Cropping2D', { cropping: [[t, b], [l, r]], ...CHANNELS_LAST });
    },
  },
};

/** Spatial padding and cropping layers. */
export const paddingEntries: readonly LayerEntry[] = [zeroPadding2d, cropping2d];
