import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Shape } from '../ir/types';
import { boolAttr, readAttrs, type AttrsOf } from './attrs';
import { broadcastShape } from './elementwise';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `batchMatMul` (TF BatchMatMulV2 adj_x / adj_y). */
export const batchMatMulSchema = { transposeA: boolAttr(false), transposeB: boolAttr(false) };
/** Attributes of `batchMatMul`. */
export type BatchMatMulAttrs = AttrsOf<typeof batchMatMulSchema>;

function dims(a: Shape, b: Shape, t: BatchMatMulAttrs): { m: number; k: number; n: number; batch: Shape } {
  if (a.length < 2 || a.length !== b.length) throw new ShapeError(`batchMatMul expects per-sample inputs of equal rank >= 2, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const [m, k] = t.transposeA ? [a[a.length - 1]!, a[a.length - 2]!] : [a[a.length - 2]!, a[a.length - 1]!];
  const [k2, n] = t.transposeB ? [b[b.length - 1]!, b[b.length - 2]!] : [b[b.length - 2]!, b[b.length - 1]!];
  if (k !== k2) throw new ShapeError(`batchMatMul: inner dimensions ${k} and ${k2} differ`);
  return { m, k, n, batch: a.length === 2 ? [] : broadcastShape('batchMatMul', [a.slice(0, -2), b.slice(0, -2)]) };
}

/** Matrix product of two activations over their last two axes (attention scores and values). */
export const batchMatMulOp: OpSpec<BatchMatMulAttrs> = {
  name: 'batchMatMul',
  arity: 2,
  attrSchema: batchMatMulSchema,
  normalizeAttrs: (a) => readAttrs(batchMatMulSchema, a, 'batchMatMul'),
  ...plainTraits,
  inferShape([a, b], t) {
    const d = dims(a!, b!, t);
    return [...d.batch, d.m, d.n];
  },
  paramShapes: () => ({}),
  forward: ([a, b], _p, t) => tf.matMul(a!, b!, t.transposeA, t.transposeB),
  macs([a, b], _o, t) {
    const d = dims(a!, b!, t);
    return d.batch.reduce((x, y) => x * y, 1) * d.m * d.k * d.n;
  },
  channelRule: () => ({ kind: 'barrier' }),
};

registerOp(batchMatMulOp);
