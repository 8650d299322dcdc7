import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import { indexAttr, numberAttr, readAttrs, type AttrsOf } from './attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `padChannels`: constant channels added `before` and `after` the input's. */
export const padChannelsSchema = { before: indexAttr(0), after: indexAttr(0), value: numberAttr(0) };
/** Attributes of `padChannels`. */
export type PadChannelsAttrs = AttrsOf<typeof padChannelsSchema>;

/**
 * Constant padding of the channel (last) axis (TF Pad of the channel axis, as BlazeFace-style
 * "channel_padding" residuals use it). The added channels come from no input channel, so the
 * dependency graph stops here.
 */
export const padChannelsOp: OpSpec<PadChannelsAttrs> = {
  name: 'padChannels',
  arity: 1,
  attrSchema: padChannelsSchema,
  normalizeAttrs: (a) => readAttrs(padChannelsSchema, a, 'padChannels'),
  ...plainTraits,
  inferShape([s], a) {
    if (!s || s.length < 1) throw new ShapeError('padChannels expects an input with a channel axis');
    return [...s.slice(0, -1), s[s.length - 1]! + a.before + a.after];
  },
  paramShapes: () => ({}),
  forward([x], _p, a) {
    const pads = x!.shape.map((_, i): [number, number] => (i === x!.rank - 1 ? [a.before, a.after] : [0, 0]));
    return tf.pad(x!, pads, a.value);
  },
  macs: () => 0,
  channelRule: () => ({ kind: 'barrier' }),
};

registerOp(padChannelsOp);
