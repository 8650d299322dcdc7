import type { Attrs, NodeId, Shape } from '@bonsai/core';
import { layerError } from './errors';
import type { ConfigReader } from './json';
import type { KerasLayer } from './topology';

/** What a layer converter sees and may do while a Keras layer becomes Bonsai nodes. */
export interface ImportContext {
  readonly layer: KerasLayer;
  readonly cfg: ConfigReader;
  /** Bonsai node ids of the layer's inputs. */
  readonly inputs: readonly NodeId[];
  /** Adds a node (attrs validated, shape inferred); returns its id. */
  node(op: string, inputs: readonly NodeId[], attrs: Attrs, id: NodeId): NodeId;
  /** A node id derived from the layer name that collides with no layer or node. */
  derivedId(suffix: string): NodeId;
  /** Per-sample output shape of a node already added. */
  shape(id: NodeId): Shape;
  /** Binds Bonsai param `role` of node `id` to the Keras weight `${layer}/${kerasName}`. */
  weight(id: NodeId, role: string, kerasName: string): void;
  /** Shape of the Keras weight `${layer}/${kerasName}` in the manifest, if present. */
  weightShape(kerasName: string): readonly number[] | undefined;
  /** Sets Bonsai param `role` of node `id` to a constant (Keras layers with center/scale off). */
  fill(id: NodeId, role: string, value: number): void;
}

/** Converts one Keras layer; returns the node id holding the layer's output. */
export type LayerConverter = (ctx: ImportContext) => NodeId;

/** Keras activation names and the Bonsai op each maps to (`null`: identity). */
const ACTIVATIONS: Readonly<Record<string, string | null>> = {
  linear: null,
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  gelu_new: 'gelu',
};

function activationName(ctx: ImportContext, key: string): string | null {
  let v = ctx.cfg.raw(key);
  if (v === undefined || v === null) return null;
  if (typeof v === 'object' && !Array.isArray(v)) v = (v as Record<string, unknown>).class_name;
  if (typeof v !== 'string') return ctx.cfg.fail(key, 'an activation name');
  if (!Object.prototype.hasOwnProperty.call(ACTIVATIONS, v)) {
    const hint = v === 'gelu' ? ' (exact erf GELU; Bonsai has the tanh approximation, which tfjs calls "gelu_new")' : '';
    throw layerError(ctx.layer.name, ctx.layer.className, `activation "${v}" is not supported${hint}; supported: ${Object.keys(ACTIVATIONS).join(', ')}`, key);
  }
  return ACTIVATIONS[v]!;
}

/** Appends the layer's `activation` attribute as a separate node (named `${layer}_${act}`). */
function withActivation(ctx: ImportContext, id: NodeId, key = 'activation'): NodeId {
  const op = activationName(ctx, key);
  if (op === null) return id;
  return ctx.node(op, [id], {}, ctx.derivedId(op));
}

function one(ctx: ImportContext): NodeId {
  if (ctx.inputs.length !== 1) throw layerError(ctx.layer.name, ctx.layer.className, `expects exactly one input, got ${ctx.inputs.length}`);
  return ctx.inputs[0]!;
}

/**
 * `depth_multiplier`, or (when the config omits it, as tfjs-layers 4.22 does when it serializes
 * SeparableConv2D) the last axis of the stored depthwise kernel.
 */
function depthMultiplier(ctx: ImportContext): number {
  if (ctx.cfg.raw('depth_multiplier') === undefined) {
    const s = ctx.weightShape('depthwise_kernel');
    if (s && s.length === 4 && Number.isSafeInteger(s[3]) && s[3]! >= 1) return s[3]!;
  }
  return ctx.cfg.posInt('depth_multiplier', 1);
}

function convPadding(ctx: ImportContext): 'same' | 'valid' {
  return ctx.cfg.oneOf('padding', ['same', 'valid'], 'valid');
}

/** Keras `axis` that must denote the last (channel) axis of a per-sample shape of rank `rank`. */
function lastAxis(ctx: ImportContext, key: string, rank: number, fallback: number | number[]): void {
  let v = ctx.cfg.raw(key) ?? fallback;
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (v !== -1 && v !== rank) ctx.cfg.fail(key, `-1 or ${rank} (the channel axis; channels_last only)`);
}

const conv2d: LayerConverter = (ctx) => {
  const { cfg, layer } = ctx;
  cfg.channelsLast();
  const id = ctx.node(
    'conv2d',
    [one(ctx)],
    {
      filters: cfg.posInt('filters'),
      kernel: cfg.pair('kernel_size'),
      strides: cfg.pair('strides', 1),
      padding: convPadding(ctx),
      dilation: cfg.pair('dilation_rate', 1),
      groups: cfg.posInt('groups', 1),
      useBias: cfg.bool('use_bias', true),
    },
    layer.name,
  );
  ctx.weight(id, 'kernel', 'kernel');
  if (cfg.bool('use_bias', true)) ctx.weight(id, 'bias', 'bias');
  return withActivation(ctx, id);
};

/** Bonsai depthwiseConv2d attributes from a Keras DepthwiseConv2D / SeparableConv2D config. */
function depthwiseAttrs(ctx: Parameters<LayerConverter>[0], useBias: boolean): Attrs {
  const { cfg } = ctx;
  return {
    kernel: cfg.pair('kernel_size'),
    strides: cfg.pair('strides', 1),
    padding: convPadding(ctx),
    dilation: cfg.pair('dilation_rate', 1),
    multiplier: depthMultiplier(ctx),
    useBias,
  };
}

const depthwiseConv2d: LayerConverter = (ctx) => {
  const { cfg, layer } = ctx;
  cfg.channelsLast();
  const useBias = cfg.bool('use_bias', true);
  const id = ctx.node(
    'depthwiseConv2d',
    [one(ctx)],
    depthwiseAttrs(ctx, useBias),
    layer.name,
  );
  ctx.weight(id, 'kernel', 'depthwise_kernel');
  if (useBias) ctx.weight(id, 'bias', 'bias');
  return withActivation(ctx, id);
};

/** SeparableConv2D -> depthwiseConv2d (`${name}_depthwise`, no bias) + 1x1 conv2d (`${name}`). */
const separableConv2d: LayerConverter = (ctx) => {
  const { cfg, layer } = ctx;
  cfg.channelsLast();
  const useBias = cfg.bool('use_bias', true);
  const dw = ctx.node(
    'depthwiseConv2d',
    [one(ctx)],
    depthwiseAttrs(ctx, false),
    ctx.derivedId('depthwise'),
  );
  ctx.weight(dw, 'kernel', 'depthwise_kernel');
  const pw = ctx.node('conv2d', [dw], { filters: cfg.posInt('filters'), kernel: 1, strides: 1, padding: 'valid', useBias }, layer.name);
  ctx.weight(pw, 'kernel', 'pointwise_kernel');
  if (useBias) ctx.weight(pw, 'bias', 'bias');
  return withActivation(ctx, pw);
};

const dense: LayerConverter = (ctx) => {
  const { cfg, layer } = ctx;
  const useBias = cfg.bool('use_bias', true);
  const id = ctx.node('dense', [one(ctx)], { units: cfg.posInt('units'), useBias }, layer.name);
  ctx.weight(id, 'kernel', 'kernel');
  if (useBias) ctx.weight(id, 'bias', 'bias');
  return withActivation(ctx, id);
};

const batchNorm: LayerConverter = (ctx) => {
  const { cfg, layer } = ctx;
  const x = one(ctx);
  lastAxis(ctx, 'axis', ctx.shape(x).length, -1);
  const id = ctx.node('batchNorm', [x], { epsilon: cfg.num('epsilon', 1e-3, 0), momentum: cfg.num('momentum', 0.99, 0, 1) }, layer.name);
  if (cfg.bool('scale', true)) ctx.weight(id, 'gamma', 'gamma');
  else ctx.fill(id, 'gamma', 1);
  if (cfg.bool('center', true)) ctx.weight(id, 'beta', 'beta');
  else ctx.fill(id, 'beta', 0);
  ctx.weight(id, 'movingMean', 'moving_mean');
  ctx.weight(id, 'movingVariance', 'moving_variance');
  return id;
};

const layerNorm: LayerConverter = (ctx) => {
  const { cfg, layer } = ctx;
  const x = one(ctx);
  lastAxis(ctx, 'axis', ctx.shape(x).length, -1);
  const id = ctx.node('layerNorm', [x], { epsilon: cfg.num('epsilon', 1e-3, 0) }, layer.name);
  if (cfg.bool('scale', true)) ctx.weight(id, 'gamma', 'gamma');
  else ctx.fill(id, 'gamma', 1);
  if (cfg.bool('center', true)) ctx.weight(id, 'beta', 'beta');
  else ctx.fill(id, 'beta', 0);
  return id;
};

const activation: LayerConverter = (ctx) => {
  const x = one(ctx);
  const op = activationName(ctx, 'activation');
  return op === null ? ctx.node('dropout', [x], { rate: 0 }, ctx.layer.name) : ctx.node(op, [x], {}, ctx.layer.name);
};

const reluLayer: LayerConverter = (ctx) => {
  const { cfg, layer } = ctx;
  const max = cfg.raw('max_value');
  if (cfg.num('negative_slope', 0) !== 0) cfg.fail('negative_slope', '0 (leaky ReLU is not supported)');
  if (cfg.num('threshold', 0) !== 0) cfg.fail('threshold', '0');
  if (max === undefined || max === null) return ctx.node('relu', [one(ctx)], {}, layer.name);
  if (max === 6) return ctx.node('relu6', [one(ctx)], {}, layer.name);
  return cfg.fail('max_value', 'null or 6 (Bonsai has relu and relu6)');
};

const softmaxLayer: LayerConverter = (ctx) => {
  const x = one(ctx);
  lastAxis(ctx, 'axis', ctx.shape(x).length, -1);
  return ctx.node('softmax', [x], {}, ctx.layer.name);
};

function pool(op: 'maxPool' | 'avgPool'): LayerConverter {
  return (ctx) => {
    const { cfg, layer } = ctx;
    cfg.channelsLast();
    const p = cfg.pair('pool_size', 2);
    const strides = cfg.raw('strides') === null || cfg.raw('strides') === undefined ? p : cfg.pair('strides');
    return ctx.node(op, [one(ctx)], { pool: p, strides, padding: convPadding(ctx) }, layer.name);
  };
}

const globalAvgPool: LayerConverter = (ctx) => {
  ctx.cfg.channelsLast();
  if (ctx.cfg.bool('keepdims', false)) ctx.cfg.fail('keepdims', 'false');
  return ctx.node('globalAvgPool', [one(ctx)], {}, ctx.layer.name);
};

const add: LayerConverter = (ctx) => {
  if (ctx.inputs.length < 1) throw layerError(ctx.layer.name, ctx.layer.className, 'needs at least one input');
  return ctx.node('add', ctx.inputs, {}, ctx.layer.name);
};

const concatenate: LayerConverter = (ctx) => {
  if (ctx.inputs.length < 1) throw layerError(ctx.layer.name, ctx.layer.className, 'needs at least one input');
  lastAxis(ctx, 'axis', ctx.shape(ctx.inputs[0]!).length, -1);
  return ctx.node('concat', ctx.inputs, {}, ctx.layer.name);
};

const flatten: LayerConverter = (ctx) => {
  ctx.cfg.channelsLast();
  return ctx.node('flatten', [one(ctx)], {}, ctx.layer.name);
};

const reshape: LayerConverter = (ctx) => {
  const t = ctx.cfg.raw('target_shape');
  if (!Array.isArray(t) || t.length === 0 || t.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || (d < 1 && d !== -1))) {
    return ctx.cfg.fail('target_shape', 'a list of positive integers (at most one -1)');
  }
  return ctx.node('reshape', [one(ctx)], { shape: t as number[] }, ctx.layer.name);
};

const dropout: LayerConverter = (ctx) => ctx.node('dropout', [one(ctx)], { rate: ctx.cfg.num('rate', 0.5, 0, 0.999) }, ctx.layer.name);

/** Input shape of an InputLayer config (`batch_input_shape` / Keras 3 `batch_shape`), without the batch axis. */
export function inputShape(cfg: ConfigReader): number[] {
  const key = cfg.raw('batch_input_shape') !== undefined ? 'batch_input_shape' : 'batch_shape';
  const v = cfg.raw(key);
  if (!Array.isArray(v) || v.length < 2 || v.slice(1).some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)) {
    return cfg.fail(key, '[null, ...positive integers] (dynamic dimensions are not supported)');
  }
  const dtype = cfg.raw('dtype');
  if (dtype !== undefined && dtype !== null && dtype !== 'float32') cfg.fail('dtype', '"float32"');
  return v.slice(1) as number[];
}

/** Keras layer classes Bonsai imports, by class name. */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: conv2d,
  Convolution2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  SeparableConvolution2D: separableConv2d,
  Dense: dense,
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Activation: activation,
  ReLU: reluLayer,
  Softmax: softmaxLayer,
  MaxPooling2D: pool('maxPool'),
  MaxPool2D: pool('maxPool'),
  AveragePooling2D: pool('avgPool'),
  AvgPool2D: pool('avgPool'),
  GlobalAveragePooling2D: globalAvgPool,
  GlobalAvgPool2D: globalAvgPool,
  Add: add,
  Concatenate: concatenate,
  Flatten: flatten,
  Reshape: reshape,
  Dropout: dropout,
};
