import type { NodeId } from '@bonsai/core';
import { fail, floatConst, type ImportContext, type TfImporter } from '../context';
import { emitFail, type TfEmitter } from '../emit-context';
import { FLOAT_T } from '../tf-attrs';

/** Adds the Bonsai node of TF activation `act` after `x`; `alphaInput` is the Const input holding a Prelu's alpha. */
export function activationNode(ctx: ImportContext, act: string, x: NodeId, suffix: string | undefined, alphaInput?: number): NodeId {
  switch (act) {
    case 'Relu':
      return ctx.node('relu', [x], {}, suffix);
    case 'Relu6':
      return ctx.node('relu6', [x], {}, suffix);
    case 'Elu':
      return ctx.node('elu', [x], { alpha: 1 }, suffix);
    case 'Selu':
      return ctx.node('selu', [x], {}, suffix);
    case 'Sigmoid':
      return ctx.node('sigmoid', [x], {}, suffix);
    case 'Tanh':
      return ctx.node('tanh', [x], {}, suffix);
    case 'LeakyRelu':
      return ctx.node('leakyRelu', [x], { alpha: ctx.attrs.float(ctx.tf.op === 'LeakyRelu' ? 'alpha' : 'leakyrelu_alpha', 0.2) }, suffix);
    case 'Prelu':
      return prelu(ctx, x, alphaInput ?? 1, suffix);
    default:
      return fail(ctx, `fused activation "${act}" is not supported (Relu, Relu6, Elu, Selu, Sigmoid, Tanh, LeakyRelu, Prelu are)`, 'fused_ops');
  }
}

function prelu(ctx: ImportContext, x: NodeId, input: number, suffix: string | undefined): NodeId {
  const alpha = floatConst(ctx, input);
  const s = ctx.shape(x);
  const dims = alpha.shape.length > s.length ? alpha.shape.slice(alpha.shape.length - s.length) : alpha.shape;
  if (alpha.shape.slice(0, alpha.shape.length - dims.length).some((d) => d !== 1)) fail(ctx, `Prelu alpha [${alpha.shape.join(', ')}] does not broadcast against [${s.join(', ')}]`);
  const aligned = [...Array<number>(s.length - dims.length).fill(1), ...dims];
  const shared: number[] = [];
  aligned.forEach((d, i) => {
    if (d === s[i]) return;
    if (d === 1) shared.push(i);
    else fail(ctx, `Prelu alpha [${alpha.shape.join(', ')}] does not broadcast against [${s.join(', ')}]`);
  });
  const id = ctx.node('prelu', [x], { sharedAxes: shared }, suffix);
  ctx.param(id, 'alpha', alpha.values, aligned.map((d, i) => (shared.includes(i) ? 1 : d)));
  return id;
}

const unary = (op: string): TfImporter => (ctx) => [ctx.node(op, [ctx.tensor(0)], {})];

/** Standalone activations and elementwise math. */
export const activationImporters: Record<string, TfImporter> = {
  Relu: (ctx) => [activationNode(ctx, 'Relu', ctx.tensor(0), undefined)],
  Relu6: (ctx) => [activationNode(ctx, 'Relu6', ctx.tensor(0), undefined)],
  Elu: (ctx) => [activationNode(ctx, 'Elu', ctx.tensor(0), undefined)],
  Selu: (ctx) => [activationNode(ctx, 'Selu', ctx.tensor(0), undefined)],
  Sigmoid: (ctx) => [activationNode(ctx, 'Sigmoid', ctx.tensor(0), undefined)],
  Tanh: (ctx) => [activationNode(ctx, 'Tanh', ctx.tensor(0), undefined)],
  LeakyRelu: (ctx) => [activationNode(ctx, 'LeakyRelu', ctx.tensor(0), undefined)],
  Prelu: (ctx) => [activationNode(ctx, 'Prelu', ctx.tensor(0), undefined, 1)],
  Softmax: unary('softmax'),
  Square: unary('square'),
  Sqrt: unary('sqrt'),
  Rsqrt: unary('rsqrt'),
  Identity: unary('identity'),
};

/** Bonsai activation ops a fused TF conv/matmul can absorb, with their TF `fused_ops` names. */
export const FUSABLE_ACTIVATIONS: Readonly<Record<string, string>> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', leakyRelu: 'LeakyRelu', sigmoid: 'Sigmoid', prelu: 'Prelu' };

const unaryEmit = (tfOp: string): TfEmitter => (ctx) => ctx.emit(tfOp, [ctx.inputs[0]!], { ...FLOAT_T }, ctx.name);

/** Bonsai activations -> TF ops. */
export const activationEmitters: Record<string, TfEmitter> = {
  relu: unaryEmit('Relu'),
  relu6: unaryEmit('Relu6'),
  elu: (ctx) => (ctx.node.attrs.alpha === 1 ? unaryEmit('Elu')(ctx) : emitFail(ctx, 'TF Elu has alpha 1 only')),
  selu: unaryEmit('Selu'),
  sigmoid: unaryEmit('Sigmoid'),
  tanh: unaryEmit('Tanh'),
  softmax: unaryEmit('Softmax'),
  square: unaryEmit('Square'),
  sqrt: unaryEmit('Sqrt'),
  rsqrt: unaryEmit('Rsqrt'),
  identity: unaryEmit('Identity'),
  dropout: unaryEmit('Identity'),
  leakyRelu: (ctx) => ctx.emit('LeakyRelu', [ctx.inputs[0]!], { ...FLOAT_T, alpha: { f: ctx.node.attrs.alpha as number } }, ctx.name),
  prelu: (ctx) => {
    const a = ctx.param('alpha');
    return ctx.emit('Prelu', [ctx.inputs[0]!, ctx.constant(`${ctx.name}/alpha`, a.values, a.shape, 'float')], { ...FLOAT_T }, ctx.name);
  },
};
