import * as tf from '@tensorflow/tfjs-core';
import type { Attrs } from '../ir/types';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

function unary(name: string, fn: (x: tf.Tensor) => tf.Tensor, passthrough = false): OpSpec<Attrs> {
  return {
    name,
    arity: 1,
    attrSchema: {},
    normalizeAttrs: () => ({}),
    ...plainTraits,
    quantPassthrough: passthrough,
    inferShape: ([s]) => s!,
    paramShapes: () => ({}),
    forward: ([x]) => fn(x!),
    macs: () => 0,
    channelRule: () => ({ kind: 'identity' }),
  };
}

/** `identity` (a named pass-through, e.g. a TF graph's output node). */
export const identityOp = unary('identity', (x) => tf.clone(x), true);

/** Elementwise math without attributes: square, sqrt, rsqrt (TF Square, Sqrt, Rsqrt). */
export const pointwiseOps = [unary('square', (x) => tf.square(x)), unary('sqrt', (x) => tf.sqrt(x)), unary('rsqrt', (x) => tf.rsqrt(x))];

registerOp(identityOp);
for (const op of pointwiseOps) registerOp(op);
