import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '../errors';
import { readAttrs, type AttrsOf } from './attrs';
import { natListAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/** Attribute schema of `permute`: `perm` permutes the per-sample axes (0-based, batch excluded). */
export const permuteSchema = { perm: natListAttr() };
/** Attributes of `permute`. */
export type PermuteAttrs = AttrsOf<typeof permuteSchema>;

const keepsChannels = (perm: readonly number[]): boolean => perm[perm.length - 1] === perm.length - 1;

/**
 * Transpose of the per-sample axes (Keras Permute, whose `dims` are these plus one; TF Transpose
 * with the batch axis fixed). Channels pass through when the last axis stays last; any other
 * permutation moves channels off the channel axis, so the dependency graph stops there.
 */
export const permuteOp: OpSpec<PermuteAttrs> = {
  name: 'permute',
  arity: 1,
  attrSchema: permuteSchema,
  normalizeAttrs(a) {
    const n = readAttrs(permuteSchema, a, 'permute');
    const sorted = [...n.perm].sort((x, y) => x - y);
    if (n.perm.length === 0 || sorted.some((v, i) => v !== i)) throw new ConfigError(`permute: attribute "perm" must be a permutation of 0..n-1, got ${JSON.stringify(n.perm)}`, { op: 'permute', key: 'perm' });
    return n;
  },
  ...plainTraits,
  quantPassthrough: true,
  inferShape([s], a) {
    if (!s || s.length !== a.perm.length) throw new ShapeError(`permute: perm [${a.perm.join(', ')}] does not match an input of rank ${s?.length ?? 0}`);
    return a.perm.map((p) => s[p]!);
  },
  paramShapes: () => ({}),
  forward: ([x], _p, a) => tf.transpose(x!, [0, ...a.perm.map((p) => p + 1)]),
  macs: () => 0,
  channelRule: (_s, a) => (keepsChannels(a.perm) ? { kind: 'identity' } : { kind: 'barrier' }),
};

registerOp(permuteOp);
