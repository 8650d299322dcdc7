import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import { boolAttr, readAttrs, type AttrsOf } from './attrs';
import { natListAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `mean`: per-sample `axes` (0 = first axis after the batch) and `keepDims`. */
export const meanSchema = { axes: natListAttr(), keepDims: boolAttr(false) };
/** Attributes of `mean`. */
export type MeanAttrs = AttrsOf<typeof meanSchema>;

/** Mean over per-sample axes (global pooling with keepDims, layer-norm statistics, token means). */
export const meanOp: OpSpec<MeanAttrs> = {
  name: 'mean',
  arity: 1,
  attrSchema: meanSchema,
  normalizeAttrs(a) {
    const n = readAttrs(meanSchema, a, 'mean');
    if (n.axes.length === 0 || new Set(n.axes).size !== n.axes.length) throw new ConfigError(`mean: attribute "axes" must be distinct axes, got ${JSON.stringify(n.axes)}`, { op: 'mean', key: 'axes' });
    return { ...n, axes: [...n.axes].sort((x, y) => x - y) };
  },
  ...plainTraits,
  inferShape([s], a) {
    if (a.axes.some((d) => d >= s!.length)) throw new ShapeError(`mean: axes [${a.axes.join(', ')}] out of range for [${s!.join(', ')}]`);
    return a.keepDims ? s!.map((d, i) => (a.axes.includes(i) ? 1 : d)) : s!.filter((_, i) => !a.axes.includes(i));
  },
  paramShapes: () => ({}),
  forward: ([x], _p, a) => tf.mean(x!, a.axes.map((d) => d + 1), a.keepDims),
  macs: () => 0,
  // Reducing other axes keeps the channels; reducing the channel axis mixes them.
  channelRule: ([s], a) => (a.axes.includes(s!.length - 1) ? { kind: 'barrier' } : { kind: 'identity' }),
};

registerOp(meanOp);
