import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Attrs, Shape } from '../ir/types';
import { enumAttr, optionalPairAttr, outSize, pairAttr, readAttrs, type OptionsOf } from './attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `maxPool` / `avgPool` (NHWC); strides default to the pool size. */
export const poolSchema = { pool: pairAttr(2), strides: optionalPairAttr(), padding: enumAttr(['same', 'valid'] as const, 'valid') };
/** What `GraphBuilder.maxPool` / `avgPool` accept. */
export type PoolOptions = OptionsOf<typeof poolSchema>;

/** Attributes of `maxPool` / `avgPool` after normalization (strides filled in). */
export interface PoolAttrs extends Attrs {
  pool: readonly [number, number];
  strides: readonly [number, number];
  padding: 'same' | 'valid';
}

function hwc(s: Shape | undefined, op: string): [number, number, number] {
  if (s?.length !== 3) throw new ShapeError(`${op} expects an [h, w, c] input, got [${s?.join(', ') ?? ''}]`);
  return [s[0]!, s[1]!, s[2]!];
}

function pool(name: 'maxPool' | 'avgPool'): OpSpec<PoolAttrs> {
  return {
    name,
    arity: 1,
    attrSchema: poolSchema,
    normalizeAttrs(a) {
      const r = readAttrs(poolSchema, a, name);
      return { ...r, strides: r.strides ?? r.pool };
    },
    ...plainTraits,
    // A max over a window of grid values is a grid value; an average is not.
    quantPassthrough: name === 'maxPool',
    inferShape([s], a) {
      const [h, w, c] = hwc(s, name);
      const oh = outSize(h, a.pool[0], a.strides[0], a.padding);
      const ow = outSize(w, a.pool[1], a.strides[1], a.padding);
      if (oh < 1 || ow < 1) throw new ShapeError(`${name}: pool [${a.pool.join(', ')}] does not fit input ${h}x${w}`);
      return [oh, ow, c];
    },
    paramShapes: () => ({}),
    forward([x], _p, a) {
      const f = name === 'maxPool' ? tf.maxPool : tf.avgPool;
      return f(x as tf.Tensor4D, [a.pool[0], a.pool[1]], [a.strides[0], a.strides[1]], a.padding);
    },
    macs: () => 0,
    channelRule: () => ({ kind: 'identity' }),
  };
}

/** Max pooling. Note: the wasm backend routes ties differently from cpu in its gradient. */
export const maxPoolOp = pool('maxPool');
/** Average pooling. */
export const avgPoolOp = pool('avgPool');

/** Mean over the spatial axes: [h, w, c] -> [c]. */
export const globalAvgPoolOp: OpSpec<Attrs> = {
  name: 'globalAvgPool',
  arity: 1,
  attrSchema: {},
  normalizeAttrs: () => ({}),
  ...plainTraits,
  inferShape([s]) {
    const [, , c] = hwc(s, 'globalAvgPool');
    return [c];
  },
  paramShapes: () => ({}),
  forward: ([x]) => tf.mean(x!, [1, 2]),
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(maxPoolOp);
registerOp(avgPoolOp);
registerOp(globalAvgPoolOp);
