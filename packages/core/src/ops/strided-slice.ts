import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Shape } from '../ir/types';
import { intListAttr, readAttrs, type AttrsOf } from './attrs';
import { natListAttr } from './list-attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

/**
 * Attribute schema of `stridedSlice`: resolved per-sample `begin` (inclusive), `end` (exclusive),
 * positive `strides`, and `shrinkAxes` removed after slicing (each must keep one element).
 */
export const stridedSliceSchema = { begin: natListAttr(), end: natListAttr(), strides: intListAttr(), shrinkAxes: natListAttr({ fallback: [] }) };
/** Attributes of `stridedSlice`. */
export type StridedSliceAttrs = AttrsOf<typeof stridedSliceSchema>;

function sliceDims(s: Shape, a: StridedSliceAttrs): number[] {
  if (a.begin.length !== s.length || a.end.length !== s.length || a.strides.length !== s.length) {
    throw new ShapeError(`stridedSlice: begin/end/strides need ${s.length} entries, got ${a.begin.length}/${a.end.length}/${a.strides.length}`);
  }
  return s.map((d, i) => {
    const b = a.begin[i]!;
    const e = a.end[i]!;
    if (b >= e || e > d) throw new ShapeError(`stridedSlice: axis ${i} of size ${d} cannot be sliced [${b}, ${e})`);
    const n = Math.ceil((e - b) / a.strides[i]!);
    if (a.shrinkAxes.includes(i) && n !== 1) throw new ShapeError(`stridedSlice: shrunk axis ${i} must keep exactly one element, keeps ${n}`);
    return n;
  });
}

/** A static strided slice of the per-sample axes (TF StridedSlice with masks resolved at import). */
export const stridedSliceOp: OpSpec<StridedSliceAttrs> = {
  name: 'stridedSlice',
  arity: 1,
  attrSchema: stridedSliceSchema,
  normalizeAttrs: (a) => readAttrs(stridedSliceSchema, a, 'stridedSlice'),
  ...plainTraits,
  quantPassthrough: true,
  inferShape([s], a) {
    return sliceDims(s!, a).filter((_, i) => !a.shrinkAxes.includes(i));
  },
  paramShapes: () => ({}),
  forward([x], _p, a) {
    const y = tf.stridedSlice(x!, [0, ...a.begin], [x!.shape[0]!, ...a.end], [1, ...a.strides]);
    if (a.shrinkAxes.length === 0) return y;
    const kept = y.shape.filter((_, i) => i === 0 || !a.shrinkAxes.includes(i - 1));
    return tf.reshape(y, kept);
  },
  macs: () => 0,
  channelRule([s], a) {
    const c = s!.length - 1;
    const whole = a.begin[c] === 0 && a.end[c] === s![c] && a.strides[c] === 1 && !a.shrinkAxes.includes(c);
    return whole ? { kind: 'identity' } : { kind: 'barrier' };
  },
  // Only a slice that keeps every channel lets channels through; it keeps them all after pruning too.
  adaptAttrs(a, change) {
    const s = change.inputShapes[0];
    if (!s) return a;
    const c = s.length - 1;
    return { ...a, end: a.end.map((e, i) => (i === c ? s[c]! : e)) };
  },
};

registerOp(stridedSliceOp);
