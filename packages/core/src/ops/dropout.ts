import * as tf from '@tensorflow/tfjs-core';
import { numberAttr, readAttrs, type AttrsOf, type OptionsOf } from './attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `dropout`. */
export const dropoutSchema = { rate: numberAttr(0.5, 0, 0.999) };
/** Attributes of `dropout`. */
export type DropoutAttrs = AttrsOf<typeof dropoutSchema>;
/** What `GraphBuilder.dropout` accepts. */
export type DropoutOptions = OptionsOf<typeof dropoutSchema>;

/** Inverted dropout in training mode (seeded), identity in inference. */
export const dropoutOp: OpSpec<DropoutAttrs> = {
  name: 'dropout',
  arity: 1,
  attrSchema: dropoutSchema,
  normalizeAttrs: (a) => readAttrs(dropoutSchema, a, 'dropout'),
  ...plainTraits,
  quantPassthrough: true,
  inferShape: ([s]) => s!,
  paramShapes: () => ({}),
  forward([x], _p, a, ctx) {
    if (!ctx.training || a.rate === 0) return tf.clone(x!);
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x!.shape, 0, 1, 'float32', Math.floor(ctx.rng() * 2 ** 31)), a.rate), 'float32');
    return tf.div(tf.mul(x!, keep), 1 - a.rate);
  },
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(dropoutOp);
