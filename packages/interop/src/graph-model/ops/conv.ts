import type { Attrs, NodeId } from '@bonsai/core';
import { fail, floatConst, requireNhwc, type ImportContext, type TfImporter } from '../context';
import { emitFail, nhwc, type EmitContext, type TfEmitter } from '../emit-context';
import { FLOAT_T, intAttr, intsAttr, strAttr, strsAttr } from '../tf-attrs';
import { activationNode, FUSABLE_ACTIVATIONS } from './activation';

/** Reads strides, dilations and padding of a TF conv; EXPLICIT padding becomes a `pad2d` node in front. */
function windowAttrs(ctx: ImportContext, x: NodeId): { x: NodeId; attrs: Attrs } {
  requireNhwc(ctx);
  const s = ctx.attrs.ints('strides', [1, 1, 1, 1]);
  const d = ctx.attrs.ints('dilations', [1, 1, 1, 1]);
  if (s.length !== 4 || s[0] !== 1 || s[3] !== 1 || d.length !== 4 || d[0] !== 1 || d[3] !== 1) fail(ctx, `strides ${JSON.stringify(s)} / dilations ${JSON.stringify(d)} must be [1, h, w, 1]`, 'strides');
  const pad = ctx.attrs.str('padding');
  let input = x;
  if (pad === 'EXPLICIT') {
    const e = ctx.attrs.ints('explicit_paddings');
    if (e.length !== 8 || e[0] !== 0 || e[1] !== 0 || e[6] !== 0 || e[7] !== 0) fail(ctx, `explicit_paddings ${JSON.stringify(e)} must pad only the spatial axes`, 'explicit_paddings');
    input = ctx.node('pad2d', [x], { pads: [e[2]!, e[3]!, e[4]!, e[5]!] }, 'pad');
  } else if (pad !== 'SAME' && pad !== 'VALID') fail(ctx, `padding "${pad}" is not supported`, 'padding');
  return { x: input, attrs: { strides: [s[1]!, s[2]!], dilation: [d[1]!, d[2]!], padding: pad === 'SAME' ? 'same' : 'valid' } };
}

/**
 * The tail of a fused op (`fused_ops` = [BiasAdd | FusedBatchNorm, activation?]): BiasAdd becomes
 * the main node's bias (`hasBias`), FusedBatchNorm a `batchNorm` node, the activation a node of its own.
 */
export function fusedOps(ctx: ImportContext): { bias: boolean; batchNorm: boolean; act: string | undefined } {
  const ops = ctx.attrs.strs('fused_ops', []);
  const numArgs = ctx.attrs.int('num_args', ctx.arity - 2);
  if (numArgs !== ctx.arity - 2) fail(ctx, `num_args is ${numArgs}, the node has ${ctx.arity - 2} extra inputs`, 'num_args');
  const [first, act, ...rest] = ops;
  if (rest.length > 0 || first === undefined) fail(ctx, `fused_ops ${JSON.stringify(ops)} is not supported`, 'fused_ops');
  if (first === 'BiasAdd') return { bias: true, batchNorm: false, act };
  if (first === 'FusedBatchNorm') return { bias: false, batchNorm: true, act };
  return { bias: false, batchNorm: false, act: first };
}

/** Adds what follows a fused op's main node: batch norm (args 0..3) and/or activation. */
export function fusedTail(ctx: ImportContext, main: NodeId, f: ReturnType<typeof fusedOps>): NodeId {
  let y = main;
  if (f.batchNorm) {
    const [scale, offset, mean, variance] = [2, 3, 4, 5].map((i) => floatConst(ctx, i));
    y = ctx.node('batchNorm', [y], { epsilon: ctx.attrs.float('epsilon', 1e-4) }, 'FusedBatchNorm');
    const c = [scale!.values.length];
    ctx.param(y, 'gamma', scale!.values, c);
    ctx.param(y, 'beta', offset!.values, c);
    ctx.param(y, 'movingMean', mean!.values, c);
    ctx.param(y, 'movingVariance', variance!.values, c);
  }
  if (f.act !== undefined) y = activationNode(ctx, f.act, y, f.act, f.bias ? 3 : f.batchNorm ? 6 : 2);
  return y;
}

function conv(ctx: ImportContext, fused: boolean): NodeId[] {
  const { x, attrs } = windowAttrs(ctx, ctx.tensor(0));
  const k = floatConst(ctx, 1);
  if (k.shape.length !== 4) fail(ctx, `filter must be [kh, kw, cin, cout], got [${k.shape.join(', ')}]`);
  const [kh, kw, kin, kout] = k.shape as [number, number, number, number];
  const c = ctx.shape(x)[2] ?? 0;
  if (kin < 1 || c % kin !== 0) fail(ctx, `filter input channels ${kin} do not divide the input's ${c}`);
  const f = fused ? fusedOps(ctx) : { bias: false, batchNorm: false, act: undefined };
  const id = ctx.node('conv2d', [x], { ...attrs, filters: kout, kernel: [kh, kw], groups: c / kin, useBias: f.bias });
  ctx.param(id, 'kernel', k.values, k.shape);
  if (f.bias) ctx.param(id, 'bias', floatConst(ctx, 2).values, [kout]);
  return [fusedTail(ctx, id, f)];
}

function depthwise(ctx: ImportContext, fused: boolean): NodeId[] {
  const { x, attrs } = windowAttrs(ctx, ctx.tensor(0));
  const k = floatConst(ctx, 1);
  if (k.shape.length !== 4) fail(ctx, `filter must be [kh, kw, c, multiplier], got [${k.shape.join(', ')}]`);
  const [kh, kw, , m] = k.shape as [number, number, number, number];
  const f = fused ? fusedOps(ctx) : { bias: false, batchNorm: false, act: undefined };
  const id = ctx.node('depthwiseConv2d', [x], { ...attrs, kernel: [kh, kw], multiplier: m, useBias: f.bias });
  ctx.param(id, 'kernel', k.values, k.shape);
  if (f.bias) ctx.param(id, 'bias', floatConst(ctx, 2).values, [k.shape[2]! * m]);
  return [fusedTail(ctx, id, f)];
}

/** Convolutions: Conv2D, _FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2dNative. */
export const convImporters: Record<string, TfImporter> = {
  Conv2D: (ctx) => conv(ctx, false),
  _FusedConv2D: (ctx) => conv(ctx, true),
  DepthwiseConv2dNative: (ctx) => depthwise(ctx, false),
  FusedDepthwiseConv2dNative: (ctx) => depthwise(ctx, true),
};

/**
 * Emits a conv/matmul as its plain TF op, or as the fused op (bias, and the activation that
 * follows it when that is its only consumer) — the form tfjs-converter itself writes and the
 * fastest one on tfjs backends. Returns the output ref.
 */
export function emitFusable(ctx: EmitContext, ops: { plain: string; fused: string }, inputs: readonly string[], attr: Record<string, unknown>, channels: number): string {
  const act = ctx.fuseActivation(Object.keys(FUSABLE_ACTIVATIONS));
  const hasBias = ctx.node.attrs.useBias === true;
  if (!act && !hasBias) return ctx.emit(ops.plain, inputs, attr, ctx.name);
  const name = act?.name ?? ctx.name;
  const b = hasBias ? ctx.param('bias') : { values: new Float32Array(channels), shape: [channels] };
  const args = [ctx.constant(`${name}/bias`, b.values, b.shape, 'float')];
  if (act?.tfOp === 'Prelu') {
    const a = ctx.paramOf(act.node.id, 'alpha');
    args.push(ctx.constant(`${name}/alpha`, a.values, a.shape, 'float'));
  }
  if (act?.tfOp === 'Elu' && act.node.attrs.alpha !== 1) emitFail(ctx, 'a fused Elu has alpha 1 only');
  const fused = {
    ...attr,
    fused_ops: strsAttr(['BiasAdd', ...(act ? [act.tfOp] : [])]),
    num_args: intAttr(args.length),
    epsilon: { f: 0 },
    ...(act?.tfOp === 'LeakyRelu' ? { leakyrelu_alpha: { f: act.node.attrs.alpha as number } } : {}),
  };
  return ctx.emit(ops.fused, [...inputs, ...args], fused, name);
}

function windowAttr(ctx: EmitContext): Record<string, unknown> {
  const a = ctx.node.attrs as { strides: number[]; dilation: number[]; padding: string };
  return {
    ...FLOAT_T,
    strides: intsAttr(nhwc(a.strides)),
    dilations: intsAttr(nhwc(a.dilation)),
    padding: strAttr(a.padding === 'same' ? 'SAME' : 'VALID'),
    data_format: strAttr('NHWC'),
  };
}

/** conv2d / depthwiseConv2d -> Conv2D / _FusedConv2D, DepthwiseConv2dNative / FusedDepthwiseConv2dNative. */
export const convEmitters: Record<string, TfEmitter> = {
  conv2d(ctx) {
    if (ctx.node.attrs.groups !== 1) emitFail(ctx, 'grouped convolution has no tfjs kernel');
    const k = ctx.param('kernel');
    const filter = ctx.constant(`${ctx.name}/weights`, k.values, k.shape, 'kernel');
    return emitFusable(ctx, { plain: 'Conv2D', fused: '_FusedConv2D' }, [ctx.inputs[0]!, filter], windowAttr(ctx), k.shape[3]!);
  },
  depthwiseConv2d(ctx) {
    const k = ctx.param('kernel');
    const filter = ctx.constant(`${ctx.name}/weights`, k.values, k.shape, 'kernel');
    return emitFusable(ctx, { plain: 'DepthwiseConv2dNative', fused: 'FusedDepthwiseConv2dNative' }, [ctx.inputs[0]!, filter], windowAttr(ctx), k.shape[2]! * k.shape[3]!);
  },
};
