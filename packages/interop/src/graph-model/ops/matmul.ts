import type { NodeId } from '@bonsai/core';
import { fail, floatConst, type ImportContext, type TfImporter } from '../context';
import type { EmitContext, TfEmitter } from '../emit-context';
import { FLOAT_T, strAttr } from '../tf-attrs';
import { emitFusable, fusedOps, fusedTail } from './conv';

function transpose2d(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  return out;
}

/** MatMul of an activation and a Const kernel becomes `dense`; of two activations, `batchMatMul`. */
function matMul(ctx: ImportContext, fused: boolean, ta: string, tb: string): NodeId[] {
  const transposeA = ctx.attrs.bool(ta, false);
  const transposeB = ctx.attrs.bool(tb, false);
  if (ctx.isConst(0)) fail(ctx, 'a Const as the left operand is not supported');
  if (!ctx.isConst(1)) {
    if (fused) fail(ctx, 'a fused MatMul of two activations is not supported');
    return [ctx.node('batchMatMul', [ctx.tensor(0), ctx.tensor(1)], { transposeA, transposeB })];
  }
  if (transposeA) fail(ctx, `${ta} with a Const kernel is not supported`, ta);
  const k = floatConst(ctx, 1);
  if (k.shape.length !== 2) fail(ctx, `the Const kernel must be 2-D, got [${k.shape.join(', ')}]`);
  const [rows, cols] = k.shape as [number, number];
  const kernel = transposeB ? transpose2d(k.values, rows, cols) : k.values;
  const units = transposeB ? rows : cols;
  const f = fused ? fusedOps(ctx) : { bias: false, batchNorm: false, act: undefined };
  if (f.batchNorm) fail(ctx, 'FusedBatchNorm in a fused MatMul is not supported', 'fused_ops');
  const id = ctx.node('dense', [ctx.tensor(0)], { units, useBias: f.bias });
  ctx.param(id, 'kernel', kernel, [transposeB ? cols : rows, units]);
  if (f.bias) ctx.param(id, 'bias', floatConst(ctx, 2).values, [units]);
  return [fusedTail(ctx, id, f)];
}

/** Matrix products: MatMul, _FusedMatMul, BatchMatMul, BatchMatMulV2. */
export const matMulImporters: Record<string, TfImporter> = {
  MatMul: (ctx) => matMul(ctx, false, 'transpose_a', 'transpose_b'),
  _FusedMatMul: (ctx) => matMul(ctx, true, 'transpose_a', 'transpose_b'),
  BatchMatMul: (ctx) => matMul(ctx, false, 'adj_x', 'adj_y'),
  BatchMatMulV2: (ctx) => matMul(ctx, false, 'adj_x', 'adj_y'),
};

/**
 * `x W (+ b)` for an input of rank >= 3 and the Const kernel `kernel`: BatchMatMulV2 (+ BiasAdd),
 * the last node named `name`; the importer reads it back as `dense`.
 */
export function emitBatchedProjection(ctx: EmitContext, x: string, kernel: string, bias: Float32Array | undefined, name: string): string {
  const attr = { ...FLOAT_T, adj_x: { b: false }, adj_y: { b: false } };
  if (!bias) return ctx.emit('BatchMatMulV2', [x, kernel], attr, name);
  const y = ctx.emit('BatchMatMulV2', [x, kernel], attr, `${name}/MatMul`);
  return ctx.emit('BiasAdd', [y, ctx.constant(`${name}/bias`, bias, [bias.length], 'float')], { ...FLOAT_T, data_format: strAttr('NHWC') }, name);
}

/** dense -> MatMul / _FusedMatMul (BatchMatMulV2 + BiasAdd for per-sample ranks > 1); batchMatMul -> BatchMatMulV2. */
export const matMulEmitters: Record<string, TfEmitter> = {
  dense(ctx) {
    const k = ctx.param('kernel');
    const kernel = ctx.constant(`${ctx.name}/weights`, k.values, k.shape, 'kernel');
    const attr = { ...FLOAT_T, transpose_a: { b: false }, transpose_b: { b: false } };
    const s = ctx.inputShapes[0]!;
    if (s.length === 1) return emitFusable(ctx, { plain: 'MatMul', fused: '_FusedMatMul' }, [ctx.inputs[0]!, kernel], attr, k.shape[1]!);
    // Per-sample rank > 1 (tokens): BatchMatMulV2 broadcasts the kernel over the leading axes
    // (a batch-merging Reshape would not import back: dynamic batch).
    return emitBatchedProjection(ctx, ctx.inputs[0]!, kernel, ctx.node.attrs.useBias === true ? ctx.param('bias').values : undefined, ctx.name);
  },
  batchMatMul: (ctx) =>
    ctx.emit('BatchMatMulV2', [ctx.inputs[0]!, ctx.inputs[1]!], { ...FLOAT_T, adj_x: { b: ctx.node.attrs.transposeA === true }, adj_y: { b: ctx.node.attrs.transposeB === true } }, ctx.name),
};
