import type { NodeId, Shape } from '@bonsai/core';
import { axisOf, fail, type ImportContext, type TfImporter } from '../context';
import type { EmitContext, TfEmitter } from '../emit-context';
import { FLOAT_T, intAttr, strAttr } from '../tf-attrs';

const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/** A per-sample reshape: `flatten` when the target is one axis (keeps channel semantics), else `reshape`. */
function reshapeTo(ctx: ImportContext, x: NodeId, target: readonly number[]): NodeId {
  const s = ctx.shape(x);
  const known = target.filter((d) => d !== -1);
  const resolved = target.map((d) => (d === -1 ? size(s) / size(known) : d));
  if (resolved.some((d) => !Number.isInteger(d) || d < 1) || size(resolved) !== size(s) || target.filter((d) => d === -1).length > 1) {
    fail(ctx, `cannot reshape [${s.join(', ')}] to [${target.join(', ')}] per sample`);
  }
  if (resolved.length === 1 && s.length > 1) return ctx.node('flatten', [x], {});
  return ctx.node('reshape', [x], { shape: resolved });
}

/** Splits a full-rank target shape into its per-sample part (the batch axis is -1, or the fixed batch size). */
function sampleTarget(ctx: ImportContext, full: readonly number[]): number[] {
  const [b, ...rest] = full;
  if (b === undefined) fail(ctx, 'reshaping to a scalar is not supported');
  if (b === -1 && !rest.includes(-1)) return rest;
  if (b !== -1 && ctx.fixedBatch !== undefined && b === ctx.fixedBatch) return rest;
  return fail(ctx, `target shape [${full.join(', ')}] changes or infers the batch axis (dynamic shapes are not supported)`);
}

const reshape: TfImporter = (ctx) => [reshapeTo(ctx, ctx.tensor(0), sampleTarget(ctx, ctx.ints(1)))];

const squeeze: TfImporter = (ctx) => {
  const x = ctx.tensor(0);
  const s = ctx.shape(x);
  const dims = ctx.attrs.has('squeeze_dims') ? ctx.attrs.ints('squeeze_dims') : ctx.attrs.ints('axis', []);
  if (dims.length === 0) fail(ctx, 'squeezing every size-1 axis (no squeeze_dims) is not supported; it may remove the batch axis', 'squeeze_dims');
  const axes = dims.map((d) => axisOf(ctx, d, s.length + 1));
  if (axes.includes(0)) fail(ctx, 'squeezing the batch axis is not supported', 'squeeze_dims');
  for (const a of axes) if (s[a - 1] !== 1) fail(ctx, `axis ${a} has size ${s[a - 1]}, not 1`, 'squeeze_dims');
  return [reshapeTo(ctx, x, s.filter((_, i) => !axes.includes(i + 1)))];
};

const expandDims: TfImporter = (ctx) => {
  const x = ctx.tensor(0);
  const s = ctx.shape(x);
  const [axis, ...more] = ctx.ints(1);
  if (axis === undefined || more.length > 0) fail(ctx, 'axis must be one integer');
  const a = axisOf(ctx, axis, s.length + 2);
  if (a === 0) fail(ctx, 'inserting an axis before the batch axis is not supported');
  return [reshapeTo(ctx, x, [...s.slice(0, a - 1), 1, ...s.slice(a - 1)])];
};

const transpose: TfImporter = (ctx) => {
  const x = ctx.tensor(0);
  const perm = ctx.ints(1);
  if (perm.length !== ctx.shape(x).length + 1 || perm[0] !== 0) fail(ctx, `perm ${JSON.stringify(perm)} must keep the batch axis first`);
  return [ctx.node('permute', [x], { perm: perm.slice(1).map((p) => p - 1) })];
};

/** Requires `axis` (the Const at input `i`) to be the last (channel) axis of inputs of per-sample `rank`. */
function channelAxis(ctx: ImportContext, i: number, rank: number): void {
  const [axis, ...more] = ctx.ints(i);
  if (axis === undefined || more.length > 0 || axisOf(ctx, axis, rank + 1) !== rank) fail(ctx, `only the last (channel) axis is supported, got axis ${JSON.stringify(ctx.ints(i))}`);
}

const concat: TfImporter = (ctx) => {
  const n = ctx.arity - 1;
  if (n < 1) fail(ctx, 'needs at least one tensor and the axis');
  const xs = Array.from({ length: n }, (_, i) => ctx.tensor(i));
  channelAxis(ctx, n, ctx.shape(xs[0]!).length);
  return [ctx.node('concat', xs, {})];
};

function splitPieces(ctx: ImportContext, x: NodeId, sizes: readonly number[]): NodeId[] {
  return sizes.map((_, index) => ctx.node('split', [x], { sizes: [...sizes], index }, index === 0 ? undefined : `:${index}`));
}

const split: TfImporter = (ctx) => {
  const x = ctx.tensor(1);
  const s = ctx.shape(x);
  channelAxis(ctx, 0, s.length);
  const n = ctx.attrs.int('num_split');
  const c = s[s.length - 1]!;
  if (n < 1 || c % n !== 0) fail(ctx, `num_split ${n} does not divide ${c} channels`, 'num_split');
  return splitPieces(ctx, x, Array<number>(n).fill(c / n));
};

const splitV: TfImporter = (ctx) => {
  const x = ctx.tensor(0);
  const s = ctx.shape(x);
  channelAxis(ctx, 2, s.length);
  const c = s[s.length - 1]!;
  const raw = ctx.ints(1);
  const known = raw.filter((v) => v !== -1).reduce((a, b) => a + b, 0);
  const sizes = raw.map((v) => (v === -1 ? c - known : v));
  if (raw.filter((v) => v === -1).length > 1 || sizes.some((v) => v < 1) || sizes.reduce((a, b) => a + b, 0) !== c) fail(ctx, `size_splits ${JSON.stringify(raw)} do not split ${c} channels`);
  return splitPieces(ctx, x, sizes);
};

const bit = (mask: number, i: number): boolean => ((mask >> i) & 1) === 1;

const stridedSlice: TfImporter = (ctx) => {
  const x = ctx.tensor(0);
  const s = ctx.shape(x);
  const [begin, end, strides] = [ctx.ints(1), ctx.ints(2), ctx.ints(3)];
  const m = (k: string): number => ctx.attrs.int(k, 0);
  if (m('ellipsis_mask') !== 0 || m('new_axis_mask') !== 0) fail(ctx, 'ellipsis_mask and new_axis_mask are not supported');
  const [bm, em, sm] = [m('begin_mask'), m('end_mask'), m('shrink_axis_mask')];
  const n = begin.length;
  if (end.length !== n || strides.length !== n || n > s.length + 1 || n === 0) fail(ctx, 'begin, end and strides must have equal lengths up to the rank');
  if (strides[0] !== 1 || bit(sm, 0) || !(bit(bm, 0) || begin[0] === 0) || !(bit(em, 0) || (ctx.fixedBatch !== undefined && end[0]! >= ctx.fixedBatch))) {
    fail(ctx, 'slicing the batch axis is not supported');
  }
  const b: number[] = [];
  const e: number[] = [];
  const st: number[] = [];
  const shrink: number[] = [];
  s.forEach((d, k) => {
    const i = k + 1;
    if (i >= n) {
      b.push(0);
      e.push(d);
      st.push(1);
      return;
    }
    const stride = strides[i]!;
    if (stride < 1) fail(ctx, `stride ${stride} on axis ${i} is not supported (positive strides only)`);
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const lo = bit(bm, i) ? 0 : clamp(begin[i]!);
    let hi = bit(em, i) ? d : clamp(end[i]!);
    if (bit(sm, i)) {
      hi = lo + 1;
      shrink.push(k);
    }
    if (hi <= lo) fail(ctx, `axis ${i} slice [${lo}, ${hi}) is empty`);
    b.push(lo);
    e.push(hi);
    st.push(stride);
  });
  return [ctx.node('stridedSlice', [x], { begin: b, end: e, strides: st, shrinkAxes: shrink })];
};

/** Pad / PadV2 / MirrorPad of an [h, w, c] input: spatial padding -> `pad2d`, channel padding -> `padChannels`. */
function pad(mode: 'constant' | 'mirror'): TfImporter {
  return (ctx) => {
    const x = ctx.tensor(0);
    const s = ctx.shape(x);
    const p = ctx.ints(1);
    if (s.length !== 3 || p.length !== 8) fail(ctx, `only NHWC inputs are supported (paddings ${JSON.stringify(p)}, input [${s.join(', ')}])`);
    if (p[0] !== 0 || p[1] !== 0) fail(ctx, 'padding the batch axis is not supported');
    let value = 0;
    if (ctx.arity > 2) {
      const c = ctx.constant(2);
      if (c.values.length !== 1) fail(ctx, 'constant_values must be a scalar');
      value = c.values[0]!;
    }
    const m = mode === 'constant' ? 'constant' : ctx.attrs.str('mode') === 'REFLECT' ? 'reflect' : ctx.attrs.str('mode') === 'SYMMETRIC' ? 'symmetric' : fail(ctx, `mode "${ctx.attrs.str('mode')}" is not supported`, 'mode');
    const spatial = p.slice(2, 6);
    const [before, after] = [p[6]!, p[7]!];
    if (m !== 'constant' && (before > 0 || after > 0)) fail(ctx, 'mirror padding of the channel axis is not supported');
    if (spatial.some((v) => v < 0) || before < 0 || after < 0) fail(ctx, 'negative paddings are not supported');
    const hasSpatial = spatial.some((v) => v > 0);
    const hasChannel = before > 0 || after > 0;
    if (!hasSpatial && !hasChannel) return [ctx.node('identity', [x], {})];
    let y = x;
    if (hasSpatial) y = ctx.node('pad2d', [y], { pads: spatial, mode: m, value }, hasChannel ? 'spatial' : undefined);
    if (hasChannel) y = ctx.node('padChannels', [y], { before, after, value });
    return [y];
  };
}

/** Shape ops: Reshape, Squeeze, ExpandDims, Transpose, ConcatV2, Split, SplitV, StridedSlice, Pad, PadV2, MirrorPad. */
export const shapeImporters: Record<string, TfImporter> = {
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDims,
  Transpose: transpose,
  ConcatV2: concat,
  Split: split,
  SplitV: splitV,
  StridedSlice: stridedSlice,
  Pad: pad('constant'),
  PadV2: pad('constant'),
  MirrorPad: pad('mirror'),
};


function emitReshape(ctx: EmitContext): string {
  const target = Int32Array.from([-1, ...ctx.outputShape]);
  return ctx.emit('Reshape', [ctx.inputs[0]!, ctx.constant(`${ctx.name}/shape`, target, [target.length], 'int32')], { ...FLOAT_T, Tshape: { type: 'DT_INT32' } }, ctx.name);
}

function emitPad(ctx: EmitContext, paddings: readonly number[], mode: string, value: number): string {
  const p = ctx.constant(`${ctx.name}/paddings`, Int32Array.from(paddings), [paddings.length / 2, 2], 'int32');
  if (mode !== 'constant') return ctx.emit('MirrorPad', [ctx.inputs[0]!, p], { ...FLOAT_T, Tpaddings: { type: 'DT_INT32' }, mode: strAttr(mode.toUpperCase()) }, ctx.name);
  if (value === 0) return ctx.emit('Pad', [ctx.inputs[0]!, p], { ...FLOAT_T, Tpaddings: { type: 'DT_INT32' } }, ctx.name);
  const v = ctx.constant(`${ctx.name}/constant_values`, Float32Array.of(value), [], 'float');
  return ctx.emit('PadV2', [ctx.inputs[0]!, p, v], { ...FLOAT_T, Tpaddings: { type: 'DT_INT32' } }, ctx.name);
}

/** Shape ops -> Reshape, Transpose, ConcatV2, SplitV, StridedSlice, Pad / PadV2 / MirrorPad. */
export const shapeEmitters: Record<string, TfEmitter> = {
  flatten: emitReshape,
  reshape: emitReshape,
  permute(ctx) {
    const perm = Int32Array.from([0, ...(ctx.node.attrs.perm as number[]).map((p) => p + 1)]);
    return ctx.emit('Transpose', [ctx.inputs[0]!, ctx.constant(`${ctx.name}/perm`, perm, [perm.length], 'int32')], { ...FLOAT_T, Tperm: { type: 'DT_INT32' } }, ctx.name);
  },
  concat(ctx) {
    const axis = ctx.constant(`${ctx.name}/axis`, Int32Array.of(-1), [], 'int32');
    return ctx.emit('ConcatV2', [...ctx.inputs, axis], { ...FLOAT_T, Tidx: { type: 'DT_INT32' }, N: intAttr(ctx.inputs.length) }, ctx.name);
  },
  split(ctx) {
    // One SplitV serves every piece of the same split; the pieces not yet written are bound to its outputs.
    const a = ctx.node.attrs as { sizes: number[]; index: number };
    const sizes = ctx.constant(`${ctx.name}/size_splits`, Int32Array.from(a.sizes), [a.sizes.length], 'int32');
    const axis = ctx.constant(`${ctx.name}/split_dim`, Int32Array.of(-1), [], 'int32');
    const base = ctx.emit('SplitV', [ctx.inputs[0]!, sizes, axis], { ...FLOAT_T, Tlen: { type: 'DT_INT32' }, num_split: intAttr(a.sizes.length) }, ctx.name);
    for (const id of ctx.graph.consumers(ctx.node.inputs[0]!)) {
      const n = ctx.graph.node(id);
      if (id !== ctx.node.id && n.op === ctx.node.op && (n.attrs.sizes as number[]).join(',') === a.sizes.join(',')) ctx.bind(id, `${base}:${n.attrs.index as number}`);
    }
    return `${base}:${a.index}`;
  },
  stridedSlice(ctx) {
    const a = ctx.node.attrs as { begin: number[]; end: number[]; strides: number[]; shrinkAxes: number[] };
    const c = (k: string, v: readonly number[]): string => ctx.constant(`${ctx.name}/${k}`, Int32Array.from(v), [v.length], 'int32');
    const shrink = a.shrinkAxes.reduce((m, i) => m | (1 << (i + 1)), 0);
    return ctx.emit('StridedSlice', [ctx.inputs[0]!, c('begin', [0, ...a.begin]), c('end', [0, ...a.end]), c('strides', [1, ...a.strides])], {
      ...FLOAT_T,
      Index: { type: 'DT_INT32' },
      begin_mask: intAttr(1),
      end_mask: intAttr(1),
      ellipsis_mask: intAttr(0),
      new_axis_mask: intAttr(0),
      shrink_axis_mask: intAttr(shrink),
    }, ctx.name);
  },
  pad2d(ctx) {
    const a = ctx.node.attrs as { pads: number[]; mode: string; value: number };
    return emitPad(ctx, [0, 0, a.pads[0]!, a.pads[1]!, a.pads[2]!, a.pads[3]!, 0, 0], a.mode, a.value);
  },
  padChannels(ctx) {
    const a = ctx.node.attrs as { before: number; after: number; value: number };
    const rank = ctx.inputShapes[0]!.length;
    return emitPad(ctx, [...Array<number>(2 * rank).fill(0), a.before, a.after], 'constant', a.value);
  },
};
