import { InteropError } from '../errors';
import { CHANNELS_LAST, one, plain } from './common';
import type { LayerEntry } from './types';

/** UpSampling2D (integer factors, nearest or bilinear, tfjs-core's resize without corner alignment). */
const upSampling2d: LayerEntry = {
  className: 'UpSampling2D',
  ops: ['resize2d'],
  import: (ctx) => {
    const { cfg } = ctx;
    cfg.channelsLast();
    const x = one(ctx);
    const [fh, fw] = cfg.pair('size', 2);
    const s = ctx.shape(x);
    const method = cfg.oneOf('interpolation', ['nearest', 'bilinear'], 'nearest');
    return ctx.node('resize2d', [x], { size: [s[0]! * fh, s[1]! * fw], method, alignCorners: false, halfPixelCenters: false }, ctx.layer.name);
  },
  export: {
    resize2d: (n, [s]) => {
      const [h, w] = n.attrs.size as readonly number[];
      const fh = h! / s![0]!;
      const fw = w! / s![1]!;
      if (!Number.isInteger(fh) || !Number.isInteger(fw) || n.attrs.alignCorners || n.attrs.halfPixelCenters) {
        throw new InteropError(`Node "${n.id}" (resize2d): only integer upsampling without corner alignment / half-pixel centers maps to tfjs-layers UpSampling2D (size ${h}x${w} from ${s![0]}x${s![1]})`, { nodeId: n.id, op: n.op });
      }
      return plain('UpSampling2D', { size: [fh, fw], interpolation: n.attrs.method, ...CHANNELS_LAST });
    },
  },
  note: 'integer factors; export needs an integer factor and no corner alignment',
};

/** Resizing layers. */
export const resizeEntries: readonly LayerEntry[] = [upSampling2d];
