import type { Attrs } from '@bonsai/core';
import { InteropError } from '../errors';
import { withActivation } from './activation';
import { CHANNELS_LAST, convPadding, kernelWeights, one } from './common';
import type { ImportContext, LayerEntry } from './types';

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

/** Bonsai depthwiseConv2d attributes from a Keras DepthwiseConv2D / SeparableConv2D config. */
function depthwiseAttrs(ctx: ImportContext, useBias: boolean): Attrs {
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

const conv2d: LayerEntry = {
  className: 'Conv2D',
  aliases: ['Convolution2D'],
  ops: ['conv2d'],
  import: (ctx) => {
    const { cfg, layer } = ctx;
    cfg.channelsLast();
    const useBias = cfg.bool('use_bias', true);
    const attrs = {
      filters: cfg.posInt('filters'),
      kernel: cfg.pair('kernel_size'),
      strides: cfg.pair('strides', 1),
      padding: convPadding(ctx),
      dilation: cfg.pair('dilation_rate', 1),
      groups: cfg.posInt('groups', 1),
      useBias,
    };
    const id = ctx.node('conv2d', [one(ctx)], attrs, layer.name);
    ctx.weight(id, 'kernel', 'kernel');
    if (useBias) ctx.weight(id, 'bias', 'bias');
    return withActivation(ctx, id);
  },
  export: {
    conv2d: (n) => {
      const a = n.attrs;
      if (a.groups !== 1) throw new InteropError(`Node "${n.id}" (conv2d): grouped convolution (groups ${String(a.groups)}) has no tfjs-layers 4.22 equivalent`, { nodeId: n.id, op: n.op });
      return {
        className: 'Conv2D',
        config: { filters: a.filters, kernel_size: a.kernel, strides: a.strides, padding: a.padding, dilation_rate: a.dilation, activation: 'linear', use_bias: a.useBias, ...CHANNELS_LAST },
        weights: kernelWeights(a.useBias, 'kernel'),
        fusesActivation: true,
      };
    },
  },
  note: 'grouped Conv2D imports but cannot be exported (tfjs-layers 4.22 has no `groups`)',
};

const depthwiseConv2d: LayerEntry = {
  className: 'DepthwiseConv2D',
  ops: ['depthwiseConv2d'],
  import: (ctx) => {
    ctx.cfg.channelsLast();
    const useBias = ctx.cfg.bool('use_bias', true);
    const id = ctx.node('depthwiseConv2d', [one(ctx)], depthwiseAttrs(ctx, useBias), ctx.layer.name);
    ctx.weight(id, 'kernel', 'depthwise_kernel');
    if (useBias) ctx.weight(id, 'bias', 'bias');
    return withActivation(ctx, id);
  },
  export: {
    depthwiseConv2d: (n) => {
      const a = n.attrs;
      return {
        className: 'DepthwiseConv2D',
        config: { kernel_size: a.kernel, strides: a.strides, padding: a.padding, dilation_rate: a.dilation, depth_multiplier: a.multiplier, activation: 'linear', use_bias: a.useBias, ...CHANNELS_LAST },
        weights: kernelWeights(a.useBias, 'depthwise_kernel'),
        fusesActivation: true,
      };
    },
  },
};

/** SeparableConv2D `s` -> depthwiseConv2d `s_depthwise` (no bias) + 1x1 conv2d `s`. */
const separableConv2d: LayerEntry = {
  className: 'SeparableConv2D',
  aliases: ['SeparableConvolution2D'],
  ops: ['depthwiseConv2d', 'conv2d'],
  import: (ctx) => {
    const { cfg, layer } = ctx;
    cfg.channelsLast();
    const useBias = cfg.bool('use_bias', true);
    const dw = ctx.node('depthwiseConv2d', [one(ctx)], depthwiseAttrs(ctx, false), ctx.derivedId('depthwise'));
    ctx.weight(dw, 'kernel', 'depthwise_kernel');
    const pw = ctx.node('conv2d', [dw], { filters: cfg.posInt('filters'), kernel: 1, strides: 1, padding: 'valid', useBias }, layer.name);
    ctx.weight(pw, 'kernel', 'pointwise_kernel');
    if (useBias) ctx.weight(pw, 'bias', 'bias');
    return withActivation(ctx, pw);
  },
  note: 'becomes `s_depthwise` (depthwiseConv2d) + 1x1 conv2d `s`; exported as DepthwiseConv2D + Conv2D',
};

/** Convolution layers. */
export const convEntries: readonly LayerEntry[] = [conv2d, depthwiseConv2d, separableConv2d];
