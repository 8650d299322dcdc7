import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Shape } from '../ir/types';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

function tokens(op: string, s: Shape | undefined): { t: number; d: number } {
  if (s?.length !== 2) throw new ShapeError(`${op} expects tokens [T, D] per sample, got [${s?.join(', ') ?? ''}]`);
  return { t: s[0]!, d: s[1]! };
}

/**
 * Adds a learned positional embedding `pos` [T, D] to tokens [T, D]. The embedding is a graph
 * param with out-axis 1 (Torch-Pruning's "unwrapped parameter"), so pruning the residual
 * stream's embedding dims slices it too.
 */
export const addPositionEmbeddingOp: OpSpec = {
  name: 'addPositionEmbedding',
  arity: 1,
  attrSchema: {},
  normalizeAttrs: () => ({}),
  ...plainTraits,
  inferShape([s]) {
    tokens('addPositionEmbedding', s);
    return s!;
  },
  paramShapes([s]) {
    const { t, d } = tokens('addPositionEmbedding', s);
    return { pos: { shape: [t, d], init: 'glorotUniform', trainable: true, outAxis: 1 } };
  },
  forward: ([x], p) => tf.add(x!, p.pos!),
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

/**
 * Prepends a learned class token `cls` [1, D] to tokens [T, D] (output [T + 1, D]); `cls` has
 * out-axis 1 so embedding-dim pruning slices it with the residual stream.
 */
export const prependClassTokenOp: OpSpec = {
  name: 'prependClassToken',
  arity: 1,
  attrSchema: {},
  normalizeAttrs: () => ({}),
  ...plainTraits,
  inferShape([s]) {
    const { t, d } = tokens('prependClassToken', s);
    return [t + 1, d];
  },
  paramShapes([s]) {
    const { d } = tokens('prependClassToken', s);
    return { cls: { shape: [1, d], init: 'zeros', trainable: true, outAxis: 1 } };
  },
  forward([x], p) {
    const [b, , d] = x!.shape;
    return tf.concat([tf.tile(tf.reshape(p.cls!, [1, 1, d!]), [b!, 1, 1]), x!], 1);
  },
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(addPositionEmbeddingOp);
registerOp(prependClassTokenOp);
