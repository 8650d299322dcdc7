import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import { readAttrs, type AttrsOf } from './attrs';
import { natListAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec, type ParamSpec } from './spec';

/**
 * Attribute schema of `prelu`: `sharedAxes` are per-sample axes (0-based, batch excluded) along
 * which one alpha is shared (Keras `shared_axes` minus one; [0, 1] for a conv feature map).
 */
export const preluSchema = { sharedAxes: natListAttr({ fallback: [] }) };
/** Attributes of `prelu`. */
export type PreluAttrs = AttrsOf<typeof preluSchema>;

/** Parametric ReLU `max(x, 0) + alpha * min(x, 0)` with a learned alpha (Keras PReLU, TF Prelu). */
export const preluOp: OpSpec<PreluAttrs> = {
  name: 'prelu',
  arity: 1,
  attrSchema: preluSchema,
  normalizeAttrs(a) {
    const n = readAttrs(preluSchema, a, 'prelu');
    if (new Set(n.sharedAxes).size !== n.sharedAxes.length) throw new ConfigError(`prelu: attribute "sharedAxes" has repeated axes ${JSON.stringify(n.sharedAxes)}`, { op: 'prelu', key: 'sharedAxes' });
    return n;
  },
  ...plainTraits,
  inferShape([s], a) {
    if (!s || s.length < 1) throw new ShapeError('prelu expects an input with at least one axis');
    const bad = a.sharedAxes.find((ax) => ax >= s.length);
    if (bad !== undefined) throw new ShapeError(`prelu: shared axis ${bad} does not exist in an input of rank ${s.length}`);
    return s;
  },
  paramShapes([s], a) {
    const shape = s!.map((d, i) => (a.sharedAxes.includes(i) ? 1 : d));
    const last = s!.length - 1;
    const alpha: ParamSpec = { shape, init: 'zeros', trainable: true, ...(a.sharedAxes.includes(last) ? {} : { outAxis: last }) };
    return { alpha };
  },
  forward: ([x], p) => tf.prelu(x!, p.alpha!),
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

registerOp(preluOp);
