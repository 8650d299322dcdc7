import type { Attrs } from '@bonsai/core';
import type { AddOptions, FusedActivation, GlobalAvgPoolOptions, Int8BinaryLayer, Int8Layer, Int8LayerFactory, ProjectionWeights, RequantOptions } from '@bonsai/int8-kernels';
import type { QuantizedTensor } from '../quantized-model';

/** What a table entry needs to build one int8 layer. */
export interface KernelBuildInput {
  readonly attrs: Attrs;
  readonly weight: QuantizedTensor;
  /** Requantization (input/output grids, weight scales, bias, fused activation). */
  readonly requant: RequantOptions;
  /** The node's other quantized weights by role (attention's Q / K / V projections). */
  readonly weightOf: (role: string) => QuantizedTensor | undefined;
  /** A float param of the node by role (a bias), as float32 values. */
  readonly floatOf: (role: string) => Float32Array | undefined;
}

/** One op's int8 kernel: the weight's per-channel axis it needs and how to build the layer (or why not). */
export interface KernelEntry {
  /** Axis of the weight that per-channel scales must run along. */
  readonly channelAxis: number;
  /** The kernel takes 2-D rows: leading axes are flattened into one (dense over the last axis). */
  readonly rows?: boolean;
  /** Role of the bias param fused into the requantization (default 'bias'). */
  readonly biasRole?: string;
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
  // Self-attention: the four projections and both batch matmuls on integer kernels, softmax in float
  // (Q, K, V and the context on per-sample symmetric grids; see @bonsai/int8-kernels' attention).
  multiHeadAttention: {
    channelAxis: 1,
    biasRole: 'bo',
    build(k, input) {
      const { attrs, requant } = input;
      const heads = attrs.numHeads as number;
      const headDim = attrs.headDim as number;
      const p = attentionProjections(input, heads * headDim);
      if (typeof p === 'string') return p;
      const scale = (attrs.scale as number | null) ?? 1 / Math.sqrt(headDim);
      return k.attention({ input: requant.input, output: requant.output, numHeads: heads, headDim, ...p, scale, causal: attrs.causal === true, ...(requant.qmin !== undefined ? { qmin: requant.qmin } : {}), ...(requant.qmax !== undefined ? { qmax: requant.qmax } : {}) });
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

/** Weight scales usable by an integer matmul: one, or one per output column (axis 1 of a [in, out] matrix). */
function columnScales(w: QuantizedTensor, role: string): Float32Array | string {
  const q = w.qparams;
  if (q.bits !== 8 || q.qmin < -128 || q.qmax > 127 || q.zeroPoint.some((z) => z !== 0)) return `its ${role} weights are not symmetric int8`;
  if (q.scale.length > 1 && q.axis !== 1) return `its ${role} weight scales run along axis ${String(q.axis)} (input rows); an integer matmul needs one scale or one per output column (axis 1)`;
  return q.scale;
}

/** Columns [from, from + n) of a row-major [rows, cols] matrix (and of per-column scales / a bias). */
function columns<T extends Float32Array | Int32Array>(v: T, rows: number, cols: number, from: number, n: number): T {
  if (rows === 1) return v.slice(from, from + n) as T;
  const out = new (v.constructor as { new (len: number): T })(rows * n);
  for (let r = 0; r < rows; r++) out.set(v.subarray(r * cols + from, r * cols + from + n), r * n);
  return out;
}

/** The Q, K, V and output projections of a multiHeadAttention node (fused QKV split into three), or why not. */
function attentionProjections(input: KernelBuildInput, hd: number): Record<'q' | 'k' | 'v' | 'o', ProjectionWeights> | string {
  const proj = (w: QuantizedTensor, role: string, bias: Float32Array | undefined, from = 0, n = w.shape[1]!): ProjectionWeights | string => {
    const scales = columnScales(w, role);
    if (typeof scales === 'string') return scales;
    const [d, cols] = w.shape as [number, number];
    return {
      weights: columns(w.values, d, cols, from, n),
      weightShape: [d, n],
      weightScales: scales.length === 1 ? scales : columns(scales, 1, cols, from, n),
      ...(bias ? { bias: columns(bias, 1, cols, from, n) } : {}),
    };
  };
  const out: Partial<Record<'q' | 'k' | 'v' | 'o', ProjectionWeights>> = {};
  const o = proj(input.weight, 'wo', input.requant.bias ? Float32Array.from(input.requant.bias) : undefined);
  if (typeof o === 'string') return o;
  out.o = o;
  const fused = input.weightOf('wqkv');
  for (const [i, r] of (['q', 'k', 'v'] as const).entries()) {
    const w = fused ?? input.weightOf(`w${r}`);
    if (!w) return `its w${r} weights are not quantized`;
    const p = fused ? proj(w, 'wqkv', input.floatOf('bqkv'), i * hd, hd) : proj(w, `w${r}`, input.floatOf(`b${r}`));
    if (typeof p === 'string') return p;
    out[r] = p;
  }
  return out as Record<'q' | 'k' | 'v' | 'o', ProjectionWeights>;
}

/** Activations fused into an int8 layer's requantization, keyed by op name. */
export const FUSED_ACTIVATIONS: Readonly<Record<string, FusedActivation>> = { relu: 'relu', relu6: 'relu6' };

/** Grid-preserving ops with an int8 form: a max-pooling kernel, or a reshape of the same bytes. */
export const INT8_PASSTHROUGH: Readonly<Record<string, 'reshape' | ((kernels: Int8LayerFactory, attrs: Attrs) => Int8Layer)>> = {
  maxPool: (k, attrs) => k.maxPool({ kernel: pair(attrs.pool), strides: pair(attrs.strides), padding: attrs.padding as 'same' | 'valid' }),
  // NHWC flatten and reshape keep the order of the values; dropout is the identity in inference.
  flatten: 'reshape',
  reshape: 'reshape',
  // [h, w, c] -> [h * w, c] tokens (and other rearrangements before the channel axis): same order.
  spatialReshape: 'reshape',
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

/**
 * Elementwise unary ops without params that run between two int8 grids as a 256-entry lookup table
 * (the float op applied once to each of the input grid's 256 values, then rounded onto the output grid).
 */
export const INT8_LOOKUP: ReadonlySet<string> = new Set(['gelu', 'sigmoid', 'tanh']);
