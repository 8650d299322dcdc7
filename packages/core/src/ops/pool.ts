import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Attrs, Shape } from '../ir/types';
import { outSize, padding, pair } from './attrs';
import { registerOp } from './registry';
import type { OpSpec } from './spec';

/** Attributes of `maxPool` / `avgPool` (NHWC). */
export interface PoolAttrs extends Attrs {
  pool: readonly [number, number];
  strides: readonly [number, number];
  padding: 'same' | 'valid';
}

function hwc(s: Shape | undefined, op: string): [number, number, number] {
  if (!s || s.length !== 3) throw new ShapeError(`${op} expects an [h, w, c] input, got [${s?.join(', ') ?? ''}]`);
  return [s[0]!, s[1]!, s[2]!];
}

function pool(name: 'maxPool' | 'avgPool'): OpSpec<PoolAttrs> {
  return {
    name,
    arity: 1,
    normalizeAttrs(a) {
      const p = pair(a, 'pool', name, 2);
      return { pool: p, strides: a.strides === undefined ? p : pair(a, 'strides', name), padding: padding(a, name) };
    },
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
  normalizeAttrs: () => ({}),
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
