import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import type { Shape } from '../ir/types';
import { boolAttr, readAttrs, type AttrsOf } from './attrs';
import { broadcastShape } from './elementwise';
import { natListAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec, type ParamSpec } from './spec';

/**
 * Attribute schema of the `*Const` ops: `shape` of the constant param `value` ([] for a scalar,
 * else the input's rank with each axis equal or 1) and `reversed` (`value op x`, for sub/div).
 */
export const constBinarySchema = { shape: natListAttr({ fallback: [] }), reversed: boolAttr(false) };
/** Attributes of the `*Const` ops. */
export type ConstBinaryAttrs = AttrsOf<typeof constBinarySchema>;

function valueParam(x: Shape, shape: Shape, op: string, init: 'zeros' | 'ones'): ParamSpec {
  if (shape.length > 0) {
    const out = broadcastShape(op, [x, shape]);
    if (out.some((d, i) => d !== x[i])) throw new ShapeError(`${op}: constant [${shape.join(', ')}] would broadcast the input [${x.join(', ')}] to [${out.join(', ')}]`);
  }
  const c = x[x.length - 1];
  // The constant's last axis follows the channels when it has one entry per channel.
  const perChannel = shape.length > 0 && c !== undefined && c > 1 && shape[shape.length - 1] === c;
  return { shape: [...shape], init, trainable: true, ...(perChannel ? { outAxis: shape.length - 1 } : {}) };
}

type Fn = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

function constBinary(name: string, fn: Fn, init: 'zeros' | 'ones'): OpSpec<ConstBinaryAttrs> {
  return {
    name,
    arity: 1,
    attrSchema: constBinarySchema,
    normalizeAttrs(a) {
      const n = readAttrs(constBinarySchema, a, name);
      if (n.shape.includes(0)) throw new ConfigError(`${name}: attribute "shape" must hold positive sizes, got ${JSON.stringify(n.shape)}`, { op: name, key: 'shape' });
      return n;
    },
    ...plainTraits,
    inferShape([x], a) {
      valueParam(x!, a.shape, name, init);
      return x!;
    },
    paramShapes: ([x], a) => ({ value: valueParam(x!, a.shape, name, init) }),
    forward: ([x], p, a) => (a.reversed ? fn(p.value!, x!) : fn(x!, p.value!)),
    macs: () => 0,
    channelRule: () => ({ kind: 'identity' }),
    // A per-channel constant loses the pruned channels with its param.
    adaptAttrs: (a, change) => (change.paramShapes.value ? { ...a, shape: [...change.paramShapes.value] } : a),
  };
}

/**
 * Elementwise ops of an activation and a constant param `value` (scalar, per channel or any
 * shape that broadcasts into the input; TF Add/Sub/Mul/RealDiv/Maximum/Minimum with a Const):
 * addConst, subConst, mulConst, divConst, maximumConst, minimumConst. Per-channel constants are
 * pruned with their channels (`outAxis`).
 */
export const constBinaryOps = [
  constBinary('addConst', (a, b) => tf.add(a, b), 'zeros'),
  constBinary('subConst', (a, b) => tf.sub(a, b), 'zeros'),
  constBinary('mulConst', (a, b) => tf.mul(a, b), 'ones'),
  constBinary('divConst', (a, b) => tf.div(a, b), 'ones'),
  constBinary('maximumConst', (a, b) => tf.maximum(a, b), 'zeros'),
  constBinary('minimumConst', (a, b) => tf.minimum(a, b), 'zeros'),
];

for (const op of constBinaryOps) registerOp(op);
