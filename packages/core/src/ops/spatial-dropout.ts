import * as tf from '@tensorflow/tfjs-core';
import { dropoutOp, dropoutSchema, type DropoutAttrs } from './dropout';
import { registerOp } from './registry';
import type { OpSpec } from './spec';

/**
 * Channel dropout (Keras SpatialDropout2D): in training each sample drops whole channels (one
 * draw per sample and channel, shared over the spatial axes), scaled by 1 / (1 - rate);
 * identity in inference, like `dropout` (whose attributes and traits it shares).
 */
export const spatialDropoutOp: OpSpec<DropoutAttrs> = {
  ...dropoutOp,
  name: 'spatialDropout',
  normalizeAttrs: (a) => dropoutOp.normalizeAttrs({ rate: dropoutSchema.rate.read(a, 'rate', 'spatialDropout') }),
  forward([x], _p, a, ctx) {
    if (!ctx.training || a.rate === 0) return tf.clone(x!);
    const shape = x!.shape.map((d, i) => (i === 0 || i === x!.rank - 1 ? d : 1));
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', Math.floor(ctx.rng() * 2 ** 31)), a.rate), 'float32');
    return tf.div(tf.mul(x!, keep), 1 - a.rate);
  },
};

registerOp(spatialDropoutOp);
