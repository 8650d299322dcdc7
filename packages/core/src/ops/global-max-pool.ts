import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Attrs } from '../ir/types';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Maximum over the spatial axes: [h, w, c] -> [c] (Keras GlobalMaxPooling2D). */
export const globalMaxPoolOp: OpSpec<Attrs> = {
  name: 'globalMaxPool',
  arity: 1,
  attrSchema: {},
  normalizeAttrs: () => ({}),
  ...plainTraits,
  quantPassthrough: true,
  inferShape([s]) {
    if (s?.length !== 3) throw new ShapeError(`globalMaxPool expects an [h, w, c] input, got [${s?.join(', ') ?? ''}]`);
    return [s[2]!];
  },
  paramShapes: () => ({}),
  forward: ([x]) => tf.max(x!, [1, 2]),
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(globalMaxPoolOp);
