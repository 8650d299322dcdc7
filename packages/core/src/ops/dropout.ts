import * as tf from '@tensorflow/tfjs-core';
import type { Attrs } from '../ir/types';
import { num } from './attrs';
import { registerOp } from './registry';
import type { OpSpec } from './spec';

/** Attributes of `dropout`. */
export interface DropoutAttrs extends Attrs {
  rate: number;
}

/** Inverted dropout in training mode (seeded), identity in inference. */
export const dropoutOp: OpSpec<DropoutAttrs> = {
  name: 'dropout',
  arity: 1,
  normalizeAttrs: (a) => ({ rate: num(a, 'rate', 'dropout', 0.5, 0, 0.999) }),
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
