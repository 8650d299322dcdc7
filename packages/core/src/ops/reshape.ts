import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import type { Attrs } from '../ir/types';
import { sizeOf } from '../ir/types';
import { indexAttr, intListAttr, readAttrs, type AttrsOf, type OptionsOf } from './attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `split`: this node is piece `index` of the channel split into `sizes`. */
export const splitSchema = { sizes: intListAttr(), index: indexAttr(0) };
/** Attributes of `split`. */
export type SplitAttrs = AttrsOf<typeof splitSchema>;

/** Attribute schema of `reshape`: the per-sample target shape (one entry may be -1). */
export const reshapeSchema = { shape: intListAttr(true) };
/** Attributes of `reshape`. */
export type ReshapeAttrs = AttrsOf<typeof reshapeSchema>;
/** What `GraphBuilder.reshape` accepts. */
export type ReshapeOptions = OptionsOf<typeof reshapeSchema>;

/** One piece of a split along the channel axis (GraphBuilder.split makes one node per piece). */
export const splitOp: OpSpec<SplitAttrs> = {
  name: 'split',
  arity: 1,
  attrSchema: splitSchema,
  normalizeAttrs(a) {
    const r = readAttrs(splitSchema, a, 'split');
    if (r.index >= r.sizes.length) {
      throw new ConfigError(`split: attribute "index" must be in [0, ${r.sizes.length}), got ${r.index}`, { op: 'split', key: 'index' });
    }
    return r;
  },
  ...plainTraits,
  quantPassthrough: true,
  inferShape([s], a) {
    const c = s![s!.length - 1]!;
    const total = a.sizes.reduce((x, y) => x + y, 0);
    if (total !== c) throw new ShapeError(`split: sizes [${a.sizes.join(', ')}] add up to ${total}, input has ${c} channels`);
    return [...s!.slice(0, -1), a.sizes[a.index]!];
  },
  paramShapes: () => ({}),
  forward([x], _p, a) {
    const start = a.sizes.slice(0, a.index).reduce((p, q) => p + q, 0);
    const begin = x!.shape.map((_, i) => (i === x!.rank - 1 ? start : 0));
    const size = x!.shape.map((d, i) => (i === x!.rank - 1 ? a.sizes[a.index]! : d));
    return tf.slice(x!, begin, size);
  },
  macs: () => 0,
  channelRule(_s, a) {
    return { kind: 'slice', start: a.sizes.slice(0, a.index).reduce((p, q) => p + q, 0), size: a.sizes[a.index]! };
  },
  adaptAttrs(a, change) {
    const kept = change.keptInputChannels[0];
    if (!kept) return a;
    let start = 0;
    const sizes = a.sizes.map((n) => {
      const count = kept.filter((k) => k >= start && k < start + n).length;
      start += n;
      return count;
    });
    return { ...a, sizes };
  },
};

/** Flattens [h, w, c] to [h*w*c] (NHWC order: feature (y*W + x)*C + c). */
export const flattenOp: OpSpec<Attrs> = {
  name: 'flatten',
  arity: 1,
  attrSchema: {},
  normalizeAttrs: () => ({}),
  ...plainTraits,
  quantPassthrough: true,
  inferShape: ([s]) => [sizeOf(s!)],
  paramShapes: () => ({}),
  forward: ([x]) => tf.reshape(x!, [x!.shape[0]!, -1]),
  macs: () => 0,
  channelRule([s]) {
    const c = s!.length > 0 ? s![s!.length - 1]! : 1;
    return { kind: 'flatten', spatial: sizeOf(s!) / c, channels: c };
  },
};

/** Reshape to a per-sample target shape. Channel pruning does not cross it. */
export const reshapeOp: OpSpec<ReshapeAttrs> = {
  name: 'reshape',
  arity: 1,
  attrSchema: reshapeSchema,
  normalizeAttrs(a) {
    const r = readAttrs(reshapeSchema, a, 'reshape');
    if (r.shape.filter((d) => d === -1).length > 1) throw new ConfigError('reshape: at most one -1 in "shape"', { op: 'reshape', key: 'shape' });
    return r;
  },
  ...plainTraits,
  quantPassthrough: true,
  inferShape([s], a) {
    const n = sizeOf(s!);
    const known = a.shape.filter((d) => d !== -1).reduce((x, y) => x * y, 1);
    const out = a.shape.map((d) => (d === -1 ? n / known : d));
    if (sizeOf(out) !== n || out.some((d) => !Number.isInteger(d))) {
      throw new ShapeError(`reshape: cannot reshape [${s!.join(', ')}] (${n} values) to [${a.shape.join(', ')}]`);
    }
    return out;
  },
  paramShapes: () => ({}),
  forward: ([x], _p, a) => tf.reshape(x!, [x!.shape[0]!, ...a.shape]),
  macs: () => 0,
  channelRule: () => ({ kind: 'barrier' }),
};

/** Attribute schema of `input`: the per-sample shape. */
export const inputSchema = { shape: intListAttr() };
/** Attributes of `input`. */
export type InputAttrs = AttrsOf<typeof inputSchema>;

/** A graph input with a fixed per-sample shape. */
export const inputOp: OpSpec<InputAttrs> = {
  name: 'input',
  arity: 0,
  attrSchema: inputSchema,
  normalizeAttrs: (a) => readAttrs(inputSchema, a, 'input'),
  ...plainTraits,
  graphInput: true,
  inferShape: (_s, a) => a.shape,
  paramShapes: () => ({}),
  forward: () => {
    throw new ShapeError('input nodes are fed, not computed');
  },
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(splitOp);
registerOp(flattenOp);
registerOp(reshapeOp);
registerOp(inputOp);
