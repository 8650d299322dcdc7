import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Shape } from '../ir/types';
import { enumAttr, numberAttr, readAttrs, type AttrsOf } from './attrs';
import { natListAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `pad2d`: `pads` = [top, bottom, left, right] on an [h, w, c] input. */
export const pad2dSchema = {
  pads: natListAttr({ length: 4 }),
  mode: enumAttr(['constant', 'reflect', 'symmetric'] as const, 'constant'),
  value: numberAttr(0),
};
/** Attributes of `pad2d`. */
export type Pad2dAttrs = AttrsOf<typeof pad2dSchema>;

/** Attribute schema of `crop2d`: `crops` = [top, bottom, left, right] removed from an [h, w, c] input. */
export const crop2dSchema = { crops: natListAttr({ length: 4 }) };
/** Attributes of `crop2d`. */
export type Crop2dAttrs = AttrsOf<typeof crop2dSchema>;

function hwc(s: Shape | undefined, op: string): [number, number, number] {
  if (s?.length !== 3) throw new ShapeError(`${op} expects an [h, w, c] input, got [${s?.join(', ') ?? ''}]`);
  return [s[0]!, s[1]!, s[2]!];
}

const spatialTraits = { arity: 1, ...plainTraits, quantPassthrough: true } as const;

/**
 * Spatial padding of an NHWC tensor: constant (`value`; Keras ZeroPadding2D, TF Pad/PadV2 of the
 * spatial axes) or mirrored (`reflect` / `symmetric`, TF MirrorPad). Channels pass through.
 */
export const pad2dOp: OpSpec<Pad2dAttrs> = {
  name: 'pad2d',
  ...spatialTraits,
  attrSchema: pad2dSchema,
  normalizeAttrs: (a) => readAttrs(pad2dSchema, a, 'pad2d'),
  inferShape([s], a) {
    const [h, w, c] = hwc(s, 'pad2d');
    const [t, b, l, r] = a.pads as [number, number, number, number];
    if (a.mode !== 'constant') {
      const limit = a.mode === 'reflect' ? 1 : 0;
      if (Math.max(t, b) > h - limit || Math.max(l, r) > w - limit) {
        throw new ShapeError(`pad2d: ${a.mode} padding [${a.pads.join(', ')}] is too large for input ${h}x${w}`);
      }
    }
    return [h + t + b, w + l + r, c];
  },
  paramShapes: () => ({}),
  forward([x], _p, a) {
    const [t, b, l, r] = a.pads as [number, number, number, number];
    const pads: Array<[number, number]> = [[0, 0], [t, b], [l, r], [0, 0]];
    return a.mode === 'constant' ? tf.pad(x!, pads, a.value) : tf.mirrorPad(x!, pads, a.mode);
  },
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

/** Spatial cropping of an NHWC tensor (Keras Cropping2D). Channels pass through. */
export const crop2dOp: OpSpec<Crop2dAttrs> = {
  name: 'crop2d',
  ...spatialTraits,
  attrSchema: crop2dSchema,
  normalizeAttrs: (a) => readAttrs(crop2dSchema, a, 'crop2d'),
  inferShape([s], a) {
    const [h, w, c] = hwc(s, 'crop2d');
    const [t, b, l, r] = a.crops as [number, number, number, number];
    if (t + b >= h || l + r >= w) throw new ShapeError(`crop2d: crops [${a.crops.join(', ')}] leave nothing of input ${h}x${w}`);
    return [h - t - b, w - l - r, c];
  },
  paramShapes: () => ({}),
  forward([x], _p, a) {
    const [t, b, l, r] = a.crops as [number, number, number, number];
    const [, h, w] = x!.shape as [number, number, number, number];
    return tf.slice(x!, [0, t, l, 0], [-1, h - t - b, w - l - r, -1]);
  },
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(pad2dOp);
registerOp(crop2dOp);
