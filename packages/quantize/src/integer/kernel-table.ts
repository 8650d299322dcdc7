import type { Attrs } from '@bonsai/core';
import type { AddOptions, FusedActivation, GlobalAvgPoolOptions, Int8BinaryLayer, Int8Layer, Int8LayerFactory, RequantOptions } from '@bonsai/int8-kernels';
import type { QuantizedTensor } from '../quantized-model';

/** What a table entry needs to build one int8 layer. */
export interface KernelBuildInput {
  readonly attrs: Attrs;
  readonly weight: QuantizedTensor;
  /** Requantization (input/output grids, weight scales, bias, fused activation). */
  readonly requant: RequantOptions;
}

/** One op's int8 kernel: the weight's per-channel axis it needs and how to build the layer (or why not). */
export interface KernelEntry {
  /** Axis of the weight that per-channel scales must run along. */
  readonly channelAxis: number;
  /** The kernel takes 2-D rows: leading axes are flattened into one (dense over the last axis). */
  readonly rows?: boolean;
  /** The layer, or a reason the node runs in float instead. */
  build(kernels: Int8LayerFactory, input: KernelBuildInput): Int8Layer | string;
}

type Pair = readonly [number, number];
const pair = (v: unknown): Pair => v as Pair;

/**
 * The int8 kernel of each op that has one, keyed by op name (a converter table: the only place
 * that knows which Bonsai op maps onto which kernel). Every other op runs in float.
 */
export const INT8_KERNELS: Readonly<Record<string, KernelEntry>> = {
  conv2d: {
    channelAxis: 3,
    build(k, { attrs, weight, requant }) {
      if ((attrs.groups as number) !== 1) return `groups ${String(attrs.groups)} (grouped conv2d has no int8 kernel)`;
      const [kh, kw, cin, cout] = weight.shape as [number, number, number, number];
      return k.conv2d({ ...requant, weights: weight.values, weightShape: [kh, kw, cin, cout], kernel: [kh, kw], strides: pair(attrs.strides), dilation: pair(attrs.dilation), padding: attrs.padding as 'same' | 'valid' });
    },
  },
  depthwiseConv2d: {
    channelAxis: 2,
    build(k, { attrs, weight, requant }) {
      if ((attrs.multiplier as number) !== 1) return `channel multiplier ${String(attrs.multiplier)} (only 1 has an int8 kernel)`;
      const [kh, kw, c] = weight.shape as [number, number, number, number];
      return k.depthwiseConv2d({ ...requant, weights: weight.values, weightShape: [kh, kw, c, 1], kernel: [kh, kw], strides: pair(attrs.strides), dilation: pair(attrs.dilation), padding: attrs.padding as 'same' | 'valid' });
    },
  },
  dense: {
    channelAxis: 1,
    rows: true,
    build(k, { weight, requant }) {
      const [inF, units] = weight.shape as [number, number];
      return k.dense({ ...requant, weights: weight.values, weightShape: [inF, units] });
    },
  },
};

/** Activations fused into an int8 layer's requantization, keyed by op name. */
export const FUSED_ACTIVATIONS: Readonly<Record<string, FusedActivation>> = { relu: 'relu', relu6: 'relu6' };

/** Grid-preserving ops with an int8 form: a max-pooling kernel, or a reshape of the same bytes. */
export const INT8_PASSTHROUGH: Readonly<Record<string, 'reshape' | ((kernels: Int8LayerFactory, attrs: Attrs) => Int8Layer)>> = {
  maxPool: (k, attrs) => k.maxPool({ kernel: pair(attrs.pool), strides: pair(attrs.strides), padding: attrs.padding as 'same' | 'valid' }),
  // NHWC flatten and reshape keep the order of the values; dropout is the identity in inference.
  flatten: 'reshape',
  reshape: 'reshape',
  dropout: 'reshape',
};

/** Elementwise ops of two int8 inputs with a kernel (residual adds). */
export const INT8_ELEMENTWISE: Readonly<Record<string, (kernels: Int8LayerFactory, options: AddOptions) => Int8BinaryLayer>> = {
  add: (k, options) => k.add(options),
};

/** Reductions of one int8 input onto the output's own grid (no weights): global average pooling. */
export const INT8_REDUCTIONS: Readonly<Record<string, (kernels: Int8LayerFactory, options: GlobalAvgPoolOptions) => Int8Layer>> = {
  globalAvgPool: (k, options) => k.globalAvgPool(options),
};
