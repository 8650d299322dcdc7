import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import { sizeOf } from '../ir/types';
import { readAttrs, type AttrsOf } from './attrs';
import { natListAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/**
 * Attribute schema of `spatialReshape`: the new per-sample axes before the channel axis
 * (`[1, 1]` turns [c] into [1, 1, c]; `[]` turns [1, 1, c] into [c]; `[h * w]` makes tokens).
 */
export const spatialReshapeSchema = { spatial: natListAttr() };
/** Attributes of `spatialReshape`. */
export type SpatialReshapeAttrs = AttrsOf<typeof spatialReshapeSchema>;

/**
 * A reshape that keeps the channel (last) axis and rearranges only the axes before it: output
 * [...spatial, c]. Unlike `reshape` (a barrier), channels map one to one, so channel pruning
 * crosses it (squeeze-and-excite's [c] -> [1, 1, c], ViT's [h, w, c] -> [h*w, c]) with no
 * attribute change.
 */
export const spatialReshapeOp: OpSpec<SpatialReshapeAttrs> = {
  name: 'spatialReshape',
  arity: 1,
  attrSchema: spatialReshapeSchema,
  normalizeAttrs: (a) => readAttrs(spatialReshapeSchema, a, 'spatialReshape'),
  ...plainTraits,
  quantPassthrough: true,
  inferShape([s], a) {
    if (!s || s.length < 1) throw new ShapeError('spatialReshape expects an input with a channel axis');
    const before = sizeOf(s.slice(0, -1));
    if (sizeOf(a.spatial) !== before || a.spatial.some((d) => d < 1)) {
      throw new ShapeError(`spatialReshape: cannot rearrange [${s.slice(0, -1).join(', ')}] (${before} positions) as [${a.spatial.join(', ')}]`);
    }
    return [...a.spatial, s[s.length - 1]!];
  },
  paramShapes: () => ({}),
  forward: ([x], _p, a) => tf.reshape(x!, [x!.shape[0]!, ...a.spatial, x!.shape[x!.rank - 1]!]),
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(spatialReshapeOp);
