import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Attrs, Shape } from '../ir/types';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

const same = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Elementwise sum of inputs of equal shape (residual connections). */
export const addOp: OpSpec<Attrs> = {
  name: 'add',
  arity: 'variadic',
  attrSchema: {},
  normalizeAttrs: () => ({}),
  ...plainTraits,
  inferShape(shapes) {
    const first = shapes[0]!;
    shapes.forEach((s, i) => {
      if (!same(s, first)) throw new ShapeError(`add: input ${i} has shape [${s.join(', ')}], input 0 has [${first.join(', ')}]`);
    });
    return first;
  },
  paramShapes: () => ({}),
  forward: (xs) => (xs.length === 1 ? tf.clone(xs[0]!) : tf.addN(xs as tf.Tensor[])),
  macs: () => 0,
  channelRule: () => ({ kind: 'identity' }),
};

/** Concatenation along the channel (last) axis. */
export const concatOp: OpSpec<Attrs> = {
  name: 'concat',
  arity: 'variadic',
  attrSchema: {},
  normalizeAttrs: () => ({}),
  ...plainTraits,
  inferShape(shapes) {
    const first = shapes[0]!;
    let c = 0;
    shapes.forEach((s, i) => {
      if (s.length !== first.length || s.slice(0, -1).some((v, j) => v !== first[j])) {
        throw new ShapeError(`concat: input ${i} has shape [${s.join(', ')}], incompatible with [${first.join(', ')}] outside the channel axis`);
      }
      c += s[s.length - 1]!;
    });
    return [...first.slice(0, -1), c];
  },
  paramShapes: () => ({}),
  forward: (xs) => tf.concat(xs as tf.Tensor[], -1),
  macs: () => 0,
  channelRule(shapes) {
    const offsets: number[] = [];
    let o = 0;
    for (const s of shapes) {
      offsets.push(o);
      o += s[s.length - 1]!;
    }
    return { kind: 'concat', offsets };
  },
};

registerOp(addOp);
registerOp(concatOp);
