import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import { boolAttr, enumAttr, pairAttr, readAttrs, type AttrsOf } from './attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `resize2d`: output spatial `size` [h, w] of an [h, w, c] input. */
export const resize2dSchema = {
  size: pairAttr(),
  method: enumAttr(['nearest', 'bilinear'] as const, 'nearest'),
  alignCorners: boolAttr(false),
  halfPixelCenters: boolAttr(false),
};
/** Attributes of `resize2d`. */
export type Resize2dAttrs = AttrsOf<typeof resize2dSchema>;

/**
 * Spatial resize of an NHWC tensor with tfjs-core's `image.resizeNearestNeighbor` /
 * `image.resizeBilinear` (Keras UpSampling2D, TF ResizeNearestNeighbor / ResizeBilinear).
 */
export const resize2dOp: OpSpec<Resize2dAttrs> = {
  name: 'resize2d',
  arity: 1,
  attrSchema: resize2dSchema,
  normalizeAttrs(a) {
    const n = readAttrs(resize2dSchema, a, 'resize2d');
    if (n.alignCorners && n.halfPixelCenters) throw new ConfigError('resize2d: "alignCorners" and "halfPixelCenters" cannot both be true', { op: 'resize2d', key: 'halfPixelCenters' });
    return n;
  },
  // Nearest neighbour copies values but bilinear interpolates between them: requantize.
  ...plainTraits,
  inferShape([s], a) {
    if (s?.length !== 3) throw new ShapeError(`resize2d expects an [h, w, c] input, got [${s?.join(', ') ?? ''}]`);
    return [a.size[0], a.size[1], s[2]!];
  },
  paramShapes: () => ({}),
  forward([x], _p, a) {
    const f = a.method === 'nearest' ? tf.image.resizeNearestNeighbor : tf.image.resizeBilinear;
    return f(x as tf.Tensor4D, [a.size[0], a.size[1]], a.alignCorners, a.halfPixelCenters);
  },
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(resize2dOp);
