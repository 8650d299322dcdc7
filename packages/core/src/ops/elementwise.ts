import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Attrs, Shape } from '../ir/types';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/**
 * Per-sample broadcast shape of equal-rank shapes (each axis equal or 1), e.g. a squeeze-excite
 * gate [1, 1, C] against features [H, W, C]. Ranks must agree: the batch axis is implicit, so
 * right-aligned broadcasting of a lower-rank input would pair it with the batch axis.
 */
export function broadcastShape(op: string, shapes: readonly Shape[]): Shape {
  const first = shapes[0]!;
  const out = [...first];
  shapes.forEach((s, i) => {
    if (s.length !== first.length) throw new ShapeError(`${op}: input ${i} has rank ${s.length} ([${s.join(', ')}]), input 0 has rank ${first.length}; per-sample ranks must match`);
    s.forEach((d, k) => {
      if (d === out[k] || d === 1) return;
      if (out[k] === 1) out[k] = d;
      else throw new ShapeError(`${op}: input ${i} shape [${s.join(', ')}] does not broadcast against [${out.join(', ')}] (axis ${k})`);
    });
  });
  return out;
}

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * Elementwise op over inputs that broadcast (equal rank, each axis equal or 1). Channels couple
 * like identity when every input has the output's channel count; an input broadcast along the
 * channel axis (width 1) has no channel correspondence, so the op is then a barrier.
 */
function broadcastOp(name: string, arity: number | 'variadic', fn: Binary): OpSpec<Attrs> {
  return {
    name,
    arity,
    attrSchema: {},
    normalizeAttrs: () => ({}),
    ...plainTraits,
    inferShape: (shapes) => broadcastShape(name, shapes),
    paramShapes: () => ({}),
    forward: (xs) => (xs.length === 1 ? tf.clone(xs[0]!) : xs.slice(1).reduce((acc, x) => fn(acc, x), xs[0]!)),
    macs: () => 0,
    channelRule(shapes) {
      const c = shapes.map((s) => s[s.length - 1]!);
      const out = Math.max(...c);
      return c.every((w) => w === out) ? { kind: 'identity' } : { kind: 'barrier' };
    },
  };
}

/** Elementwise product with broadcasting (Keras Multiply, squeeze-and-excite gates, TF Mul). */
export const mulOp = broadcastOp('mul', 'variadic', (a, b) => tf.mul(a, b));
/** Elementwise difference `x0 - x1` with broadcasting (Keras Subtract, TF Sub). */
export const subOp = broadcastOp('sub', 2, (a, b) => tf.sub(a, b));
/** Elementwise maximum with broadcasting (Keras Maximum, TF Maximum). */
export const maximumOp = broadcastOp('maximum', 'variadic', (a, b) => tf.maximum(a, b));
/** Elementwise minimum with broadcasting (Keras Minimum, TF Minimum). */
export const minimumOp = broadcastOp('minimum', 'variadic', (a, b) => tf.minimum(a, b));

for (const op of [mulOp, subOp, maximumOp, minimumOp]) registerOp(op);
