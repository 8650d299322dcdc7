import type { NodeId, Shape } from '@bonsai/core';
import { fail, floatConst, type ImportContext, type TfImporter } from '../context';
import type { TfEmitter } from '../emit-context';
import { FLOAT_T, intAttr } from '../tf-attrs';

/**
 * The per-sample shape of a Const operand broadcast against activation shape `x`: a leading
 * batch axis of 1 is dropped, missing axes become 1, a single value becomes a scalar ([]).
 */
export function constOperandShape(ctx: ImportContext, shape: readonly number[], x: Shape): number[] {
  if (shape.reduce((a, b) => a * b, 1) === 1) return [];
  let dims = [...shape];
  while (dims.length > x.length) {
    if (dims[0] !== 1) fail(ctx, `the Const operand [${shape.join(', ')}] does not broadcast against a per-sample input [${x.join(', ')}]`);
    dims = dims.slice(1);
  }
  return [...Array<number>(x.length - dims.length).fill(1), ...dims];
}

/** Binary op with a Const operand: `${op}Const` with the Const as its `value` param (`reversed` when it comes first). */
function withConst(ctx: ImportContext, op: string): NodeId {
  const ci = ctx.isConst(0) ? 0 : 1;
  const x = ctx.tensor(1 - ci);
  const c = floatConst(ctx, ci);
  const shape = constOperandShape(ctx, c.shape, ctx.shape(x));
  const id = ctx.node(`${op}Const`, [x], { shape, reversed: ci === 0 });
  ctx.param(id, 'value', c.values, shape);
  return id;
}

const same = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** TF binary op `tfOp` -> Bonsai `op` (two activations) or `${op}Const` (activation and Const). */
function binary(op: string, tensorOp: string | undefined): TfImporter {
  return (ctx) => {
    if (ctx.arity !== 2) fail(ctx, `expects 2 inputs, has ${ctx.arity}`);
    if (ctx.isConst(0) && ctx.isConst(1)) fail(ctx, 'both operands are Consts (constant folding is not supported)');
    if (ctx.isConst(0) || ctx.isConst(1)) return [withConst(ctx, op)];
    const [a, b] = [ctx.tensor(0), ctx.tensor(1)];
    if (tensorOp === 'add') {
      if (!same(ctx.shape(a), ctx.shape(b))) fail(ctx, `adding shapes [${ctx.shape(a).join(', ')}] and [${ctx.shape(b).join(', ')}] with broadcasting is not supported`);
      return [ctx.node('add', [a, b], {})];
    }
    if (tensorOp === undefined) fail(ctx, 'two activation operands are not supported (one must be a Const)');
    return [ctx.node(tensorOp, [a, b], {})];
  };
}

/** Elementwise arithmetic: Add, AddV2, AddN, BiasAdd, Sub, Mul, RealDiv, Maximum, Minimum. */
export const elementwiseImporters: Record<string, TfImporter> = {
  Add: binary('add', 'add'),
  AddV2: binary('add', 'add'),
  BiasAdd: (ctx) => {
    if (!ctx.isConst(1)) fail(ctx, 'the bias must be a Const');
    return binary('add', 'add')(ctx);
  },
  AddN: (ctx) => {
    const xs = Array.from({ length: ctx.arity }, (_, i) => ctx.tensor(i));
    const s = ctx.shape(xs[0]!);
    if (xs.some((x) => !same(ctx.shape(x), s))) fail(ctx, 'inputs of different shapes are not supported');
    return [ctx.node('add', xs, {})];
  },
  Sub: binary('sub', 'sub'),
  Mul: binary('mul', 'mul'),
  RealDiv: binary('div', undefined),
  Maximum: binary('maximum', 'maximum'),
  Minimum: binary('minimum', 'minimum'),
};

function emitBinary(tfOp: string): TfEmitter {
  return (ctx) => {
    const [first, ...rest] = ctx.inputs;
    let y = first!;
    rest.forEach((x, i) => {
      y = ctx.emit(tfOp, [y, x], { ...FLOAT_T }, i === rest.length - 1 ? ctx.name : `${ctx.name}/${tfOp}_${i}`);
    });
    return y;
  };
}

function emitWithConst(tfOp: string): TfEmitter {
  return (ctx) => {
    const v = ctx.param('value');
    const c = ctx.constant(`${ctx.name}/y`, v.values, v.shape, 'float');
    const ins = ctx.node.attrs.reversed === true ? [c, ctx.inputs[0]!] : [ctx.inputs[0]!, c];
    return ctx.emit(tfOp, ins, { ...FLOAT_T }, ctx.name);
  };
}

/** Bonsai elementwise ops -> TF AddV2/AddN, Sub, Mul, Maximum, Minimum, RealDiv (with a Const for the `*Const` ops). */
export const elementwiseEmitters: Record<string, TfEmitter> = {
  add: (ctx) => (ctx.inputs.length === 2 ? emitBinary('AddV2')(ctx) : ctx.emit('AddN', ctx.inputs, { ...FLOAT_T, N: intAttr(ctx.inputs.length) }, ctx.name)),
  sub: emitBinary('Sub'),
  mul: emitBinary('Mul'),
  maximum: emitBinary('Maximum'),
  minimum: emitBinary('Minimum'),
  addConst: emitWithConst('AddV2'),
  subConst: emitWithConst('Sub'),
  mulConst: emitWithConst('Mul'),
  divConst: emitWithConst('RealDiv'),
  maximumConst: emitWithConst('Maximum'),
  minimumConst: emitWithConst('Minimum'),
};
