import { axisOf, fail, requireNhwc, type ImportContext, type TfImporter } from '../context';
import { nhwc, type EmitContext, type TfEmitter } from '../emit-context';
import { FLOAT_T, intsAttr, strAttr } from '../tf-attrs';

function pool(op: 'maxPool' | 'avgPool'): TfImporter {
  return (ctx) => {
    requireNhwc(ctx);
    const k = ctx.attrs.ints('ksize');
    const s = ctx.attrs.ints('strides');
    if (k.length !== 4 || k[0] !== 1 || k[3] !== 1 || s.length !== 4 || s[0] !== 1 || s[3] !== 1) fail(ctx, `ksize ${JSON.stringify(k)} / strides ${JSON.stringify(s)} must be [1, h, w, 1]`, 'ksize');
    const pad = ctx.attrs.str('padding');
    if (pad !== 'SAME' && pad !== 'VALID') fail(ctx, `padding "${pad}" is not supported`, 'padding');
    return [ctx.node(op, [ctx.tensor(0)], { pool: [k[1]!, k[2]!], strides: [s[1]!, s[2]!], padding: pad === 'SAME' ? 'same' : 'valid' })];
  };
}

/** Per-sample axes (batch excluded) of the int Const at input `i`, for an input of per-sample `rank`. */
export function sampleAxes(ctx: ImportContext, i: number, rank: number): number[] {
  const axes = ctx.ints(i).map((a) => axisOf(ctx, a, rank + 1));
  if (axes.includes(0)) fail(ctx, 'reducing or moving the batch axis is not supported');
  return axes.map((a) => a - 1);
}

/** Mean: global average pooling (spatial axes, no keep_dims) or `mean` over per-sample axes. */
const mean: TfImporter = (ctx) => {
  const x = ctx.tensor(0);
  const rank = ctx.shape(x).length;
  const axes = [...new Set(sampleAxes(ctx, 1, rank))].sort((a, b) => a - b);
  const keepDims = ctx.attrs.bool('keep_dims', false);
  if (rank === 3 && !keepDims && axes.length === 2 && axes[0] === 0 && axes[1] === 1) return [ctx.node('globalAvgPool', [x], {})];
  return [ctx.node('mean', [x], { axes, keepDims })];
};

/** Pooling and reductions: MaxPool, AvgPool, Mean. */
export const poolImporters: Record<string, TfImporter> = { MaxPool: pool('maxPool'), AvgPool: pool('avgPool'), Mean: mean };

function emitPool(tfOp: string): TfEmitter {
  return (ctx) => {
    const a = ctx.node.attrs as { pool: number[]; strides: number[]; padding: string };
    return ctx.emit(tfOp, [ctx.inputs[0]!], { ...FLOAT_T, ksize: intsAttr(nhwc(a.pool)), strides: intsAttr(nhwc(a.strides)), padding: strAttr(a.padding === 'same' ? 'SAME' : 'VALID'), data_format: strAttr('NHWC') }, ctx.name);
  };
}

function emitReduce(ctx: EmitContext, tfOp: string, axes: readonly number[], keepDims: boolean): string {
  const ax = ctx.constant(`${ctx.name}/reduction_indices`, Int32Array.from(axes.map((a) => a + 1)), [axes.length], 'int32');
  return ctx.emit(tfOp, [ctx.inputs[0]!, ax], { ...FLOAT_T, Tidx: { type: 'DT_INT32' }, keep_dims: { b: keepDims } }, ctx.name);
}

/** Pooling and reductions -> MaxPool, AvgPool, Mean, Max. */
export const poolEmitters: Record<string, TfEmitter> = {
  maxPool: emitPool('MaxPool'),
  avgPool: emitPool('AvgPool'),
  globalAvgPool: (ctx) => emitReduce(ctx, 'Mean', [0, 1], false),
  globalMaxPool: (ctx) => emitReduce(ctx, 'Max', [0, 1], false),
  mean: (ctx) => emitReduce(ctx, 'Mean', ctx.node.attrs.axes as number[], ctx.node.attrs.keepDims === true),
};
