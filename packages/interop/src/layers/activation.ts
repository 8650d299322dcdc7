import type { Attrs, Node, NodeId } from '@bonsai/core';
import { InteropError, layerError } from '../errors';
import { lastAxis, one, plain } from './common';
import { rescalingEntries } from './rescaling';
import type { ExportedLayer, ImportContext, LayerEntry, LayerExporter, Unexportable } from './types';

/** A core op (with attributes) that a Keras activation name stands for. */
interface ActivationOp {
  readonly op: string;
  readonly attrs?: Attrs;
}

/**
 * Keras activation names (the `activation` config of Activation, Conv2D, Dense, ...) and the core
 * op each maps to (`null`: identity). "hard_sigmoid" is tfjs-layers' and Keras 2's
 * clip(0.2 x + 0.5, 0, 1) (Keras 3 changed it to relu6(x + 3) / 6).
 */
export const KERAS_ACTIVATIONS: Readonly<Record<string, ActivationOp | null>> = {
  linear: null,
  relu: { op: 'relu' },
  relu6: { op: 'relu6' },
  elu: { op: 'elu' },
  selu: { op: 'selu' },
  sigmoid: { op: 'sigmoid' },
  hard_sigmoid: { op: 'hardSigmoid' },
  tanh: { op: 'tanh' },
  softmax: { op: 'softmax' },
  swish: { op: 'swish' },
  silu: { op: 'swish' },
  gelu: { op: 'geluExact' },
  gelu_new: { op: 'gelu' },
};

/**
 * Core ops a Conv2D / DepthwiseConv2D / Dense can apply as its `activation` config, with that
 * name: tfjs-layers computes exactly the same ops inside the layer (relu and elu even inside the
 * fused conv / matMul kernel), one layer call fewer. relu6 is left out on purpose: tfjs runs
 * activation "relu6" as minimum(6, relu(x)), slower than a separate ReLU{max_value: 6}.
 */
const LAYER_ACTIVATIONS: Readonly<Record<string, (n: Node) => string | undefined>> = {
  relu: () => 'relu',
  elu: (n) => (n.attrs.alpha === 1 ? 'elu' : undefined),
  selu: () => 'selu',
  sigmoid: () => 'sigmoid',
  tanh: () => 'tanh',
  softmax: () => 'softmax',
  swish: () => 'swish',
  geluExact: () => 'gelu',
  hardSigmoid: (n) => (n.attrs.slope === 0.2 && n.attrs.offset === 0.5 ? 'hard_sigmoid' : undefined),
};

function activationOf(ctx: ImportContext, key: string): ActivationOp | null {
  let v = ctx.cfg.raw(key);
  if (v === undefined || v === null) return null;
  if (typeof v === 'object' && !Array.isArray(v)) v = (v as Record<string, unknown>).class_name;
  if (typeof v !== 'string') return ctx.cfg.fail(key, 'an activation name');
  if (!Object.hasOwn(KERAS_ACTIVATIONS, v)) {
    throw layerError(ctx.layer.name, ctx.layer.className, `activation "${v}" is not supported; supported: ${Object.keys(KERAS_ACTIVATIONS).join(', ')}`, key);
  }
  return KERAS_ACTIVATIONS[v]!;
}

/** Appends the layer's `activation` config as a separate node `${layer}_${op}` (identity: nothing). */
export function withActivation(ctx: ImportContext, id: NodeId, key = 'activation'): NodeId {
  const a = activationOf(ctx, key);
  if (a === null) return id;
  return ctx.node(a.op, [id], a.attrs ?? {}, ctx.derivedId(a.op));
}

/**
 * The `activation` config under which a Conv2D / DepthwiseConv2D / Dense layer computes node
 * `n` (an activation reading only that layer), or undefined.
 */
export function layerActivationName(n: Node): string | undefined {
  const name = Object.hasOwn(LAYER_ACTIVATIONS, n.op) ? LAYER_ACTIVATIONS[n.op] : undefined;
  return name?.(n);
}

const activationLayer =
  (name: string): LayerExporter =>
  () => plain('Activation', { activation: name });

const unsupported = (n: Node, why: string): never => {
  throw new InteropError(`Node "${n.id}" (${n.op}): ${why}`, { nodeId: n.id, op: n.op });
};

/** ReLU{max_value} — stock tfjs runs it as relu + clipByValue, faster than Activation('relu6') (minimum(6, relu(x))). */
const reluLayer = (maxValue: number | null): ExportedLayer => plain('ReLU', maxValue === null ? {} : { max_value: maxValue });

const clippedReluExport: LayerExporter = (n) => {
  const { maxValue, negativeSlope, threshold } = n.attrs as { maxValue: number | null; negativeSlope: number; threshold: number };
  if (threshold === 0 && negativeSlope === 0) return reluLayer(maxValue);
  if (threshold === 0 && maxValue === null) return plain('LeakyReLU', { alpha: negativeSlope });
  // tfjs-layers 4.22's ReLU reads only maxValue: a file with negative_slope/threshold would load and compute something else.
  return unsupported(n, `ReLU with negative_slope ${negativeSlope} and threshold ${threshold} has no tfjs-layers 4.22 equivalent (its ReLU has max_value only)`);
};

const activation: LayerEntry = {
  className: 'Activation',
  ops: ['identity', ...new Set(Object.values(KERAS_ACTIVATIONS).flatMap((a) => (a ? [a.op] : [])))],
  import: (ctx) => {
    const x = one(ctx);
    const a = activationOf(ctx, 'activation');
    return a === null ? ctx.node('identity', [x], {}, ctx.layer.name) : ctx.node(a.op, [x], a.attrs ?? {}, ctx.layer.name);
  },
  export: {
    identity: activationLayer('linear'),
    relu: activationLayer('relu'),
    sigmoid: activationLayer('sigmoid'),
    tanh: activationLayer('tanh'),
    softmax: activationLayer('softmax'),
    selu: activationLayer('selu'),
    swish: activationLayer('swish'),
    geluExact: activationLayer('gelu'),
    elu: (n) => (n.attrs.alpha === 1 ? plain('Activation', { activation: 'elu' }) : unsupported(n, `ELU alpha ${String(n.attrs.alpha)}: tfjs-layers 4.22 supports alpha 1 only`)),
    hardSigmoid: (n) =>
      n.attrs.slope === 0.2 && n.attrs.offset === 0.5 ? plain('Activation', { activation: 'hard_sigmoid' }) : unsupported(n, 'tfjs-layers 4.22 has hard_sigmoid with slope 0.2 and offset 0.5 only'),
  },
  note: `activation names: ${Object.keys(KERAS_ACTIVATIONS).join(', ')}`,
};

const relu: LayerEntry = {
  className: 'ReLU',
  ops: ['relu', 'relu6', 'leakyRelu', 'clippedRelu'],
  import: (ctx) => {
    const { cfg, layer } = ctx;
    const x = one(ctx);
    const raw = cfg.raw('max_value');
    const maxValue = raw === undefined || raw === null ? null : cfg.num('max_value', 0, 0);
    const negativeSlope = cfg.num('negative_slope', 0, 0);
    const threshold = cfg.num('threshold', 0);
    if (threshold === 0 && negativeSlope === 0 && maxValue === null) return ctx.node('relu', [x], {}, layer.name);
    if (threshold === 0 && negativeSlope === 0 && maxValue === 6) return ctx.node('relu6', [x], {}, layer.name);
    if (threshold === 0 && maxValue === null) return ctx.node('leakyRelu', [x], { alpha: negativeSlope }, layer.name);
    return ctx.node('clippedRelu', [x], { maxValue, negativeSlope, threshold }, layer.name);
  },
  export: { relu6: () => reluLayer(6), clippedRelu: clippedReluExport },
  note: 'max_value null → relu, 6 → relu6, negative_slope only → leakyRelu, otherwise clippedRelu',
};

const leakyRelu: LayerEntry = {
  className: 'LeakyReLU',
  ops: ['leakyRelu'],
  // tfjs-layers and Keras 2 call the slope `alpha`, Keras 3 `negative_slope`; both default to 0.3.
  import: (ctx) => ctx.node('leakyRelu', [one(ctx)], { alpha: ctx.cfg.raw('alpha') !== undefined ? ctx.cfg.num('alpha', 0.3) : ctx.cfg.num('negative_slope', 0.3) }, ctx.layer.name),
  export: { leakyRelu: (n) => plain('LeakyReLU', { alpha: n.attrs.alpha }) },
};

const prelu: LayerEntry = {
  className: 'PReLU',
  ops: ['prelu'],
  import: (ctx) => {
    const { cfg, layer } = ctx;
    const x = one(ctx);
    let raw = cfg.raw('shared_axes');
    if (raw === undefined || raw === null) raw = [];
    if (typeof raw === 'number') raw = [raw];
    const rank = ctx.shape(x).length;
    if (!Array.isArray(raw) || raw.some((a) => typeof a !== 'number' || !Number.isSafeInteger(a) || a < 1 || a > rank)) {
      return cfg.fail('shared_axes', `null or a list of axes in 1..${rank}`);
    }
    const id = ctx.node('prelu', [x], { sharedAxes: (raw as number[]).map((a) => a - 1) }, layer.name);
    ctx.weight(id, 'alpha', 'alpha');
    return id;
  },
  export: {
    prelu: (n) => {
      const axes = (n.attrs.sharedAxes as readonly number[]).map((a) => a + 1);
      return { className: 'PReLU', config: { shared_axes: axes.length === 0 ? null : axes }, weights: [{ keras: 'alpha', role: 'alpha' }] };
    },
  },
};

const elu: LayerEntry = {
  className: 'ELU',
  ops: ['elu'],
  import: (ctx) => ctx.node('elu', [one(ctx)], { alpha: ctx.cfg.num('alpha', 1, 0) }, ctx.layer.name),
};

const softmax: LayerEntry = {
  className: 'Softmax',
  ops: ['softmax'],
  import: (ctx) => {
    const x = one(ctx);
    lastAxis(ctx, 'axis', ctx.shape(x).length, -1);
    return ctx.node('softmax', [x], {}, ctx.layer.name);
  },
};

/** Activation layers. */
export const activationEntries: readonly LayerEntry[] = [activation, relu, leakyRelu, prelu, elu, softmax, ...rescalingEntries];

/** Activations without a tfjs-layers equivalent. */
export const activationUnexportable: Unexportable = {
  // tfjs-layers 4.22 has the tanh approximation only as "gelu_new", which its JSON loader
  // camel-cases to an unknown "geluNew"; "gelu" is the erf form (Bonsai geluExact).
  gelu: 'tfjs-layers 4.22 cannot load a tanh-approximation GELU from model.json ("gelu_new" is camel-cased to an unknown "geluNew"); use geluExact',
};
