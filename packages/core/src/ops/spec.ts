import type * as tf from '@tensorflow/tfjs-core';
import type { Attrs, NodeId, Shape } from '../ir/types';
import type { Rng } from '../util/rng';
import type { AttrSchema } from './attrs';

/** How a parameter is initialized (seeded). */
export type InitKind = 'glorotUniform' | 'heNormal' | 'zeros' | 'ones';

/** Declared shape and role of one parameter of an op. */
export interface ParamSpec {
  readonly shape: Shape;
  readonly init: InitKind;
  /** Running statistics (BN moving mean/variance) are not trained by gradients. */
  readonly trainable: boolean;
  /** Axis of this parameter that indexes the op's output channels, if any. */
  readonly outAxis?: number;
  /** Axis of this parameter that indexes the op's input channels, if any. */
  readonly inAxis?: number;
  /** Which input (slot) `inAxis` indexes the channels of, for multi-input ops (default 0). */
  readonly inInput?: number;
  /**
   * Axis per-channel weight-quantization scales run along when it is not `outAxis` (attention's
   * Q/K/V columns, which the dependency graph treats as head channels, not output channels).
   */
  readonly quantAxis?: number;
}

/**
 * How the channel indices (last axis) of an op's inputs relate to those of its output. The
 * dependency graph of @bonsai/graph reads only this, so a new op is one file.
 * - identity: output channel c is input channel c of every input (BN, activations, add, pooling).
 * - concat: input i's channel c is output channel offsets[i] + c.
 * - slice: output channel c is input channel start + c (one piece of a split).
 * - flatten: input channel c becomes output features p * channels + c for p < spatial.
 * - depthwise: output channels c*multiplier .. c*multiplier+multiplier-1 come from input channel c.
 * - grouped: a grouped conv; output channels are free but input/output stay divisible by groups.
 * - reduce: output channels are independent of input channels (conv, dense): input channels are
 *   consumed along the params' `inAxis`.
 * - barrier: no channel correspondence (reshape); the dependency graph stops here.
 */
export type ChannelRule =
  | { readonly kind: 'identity' }
  | { readonly kind: 'concat'; readonly offsets: readonly number[] }
  | { readonly kind: 'slice'; readonly start: number; readonly size: number }
  | { readonly kind: 'flatten'; readonly spatial: number; readonly channels: number }
  | { readonly kind: 'depthwise'; readonly multiplier: number }
  | { readonly kind: 'grouped'; readonly groups: number }
  | { readonly kind: 'reduce' }
  | { readonly kind: 'barrier' };

/** A state update produced in training mode (e.g. BN running statistics), applied after the step. */
export interface StateUpdate {
  readonly param: string;
  readonly value: tf.Tensor;
}

/** Context of one forward pass. */
export interface ForwardContext {
  readonly training: boolean;
  readonly nodeId: NodeId;
  /** Seeded generator for stochastic ops (dropout). */
  readonly rng: Rng;
  /** Ops push running-statistic updates here; the executor applies them after the pass. */
  readonly updates: StateUpdate[];
  /** When set, running statistics update with this momentum instead of the op's attribute. */
  readonly momentum?: number | undefined;
  /**
   * Per input: true when no gradient will be asked for it in this pass (it is computed from
   * the graph's inputs alone and the caller differentiates only params, see
   * {@link RunOptions.inputGrads}). Ops may then skip that input's gradient. Unset: assume
   * every input may be differentiated.
   */
  readonly constantInputs?: readonly boolean[] | undefined;
}

/** The inputs of a shape or attribute computation. */
export interface OpShapes {
  readonly inputShapes: readonly Shape[];
}

/** What changed when @bonsai/graph pruned channels at or around a node. */
export interface ChannelChange {
  /** New shapes of the node's inputs. */
  readonly inputShapes: readonly Shape[];
  /** New shapes of the node's params. */
  readonly paramShapes: Readonly<Record<string, Shape>>;
  /** For each input whose channels changed: indices (old numbering) of the kept channels. */
  readonly keptInputChannels: ReadonlyArray<readonly number[] | undefined>;
}

/** Positions along `axis` of param `role` that one internal unit (e.g. one attention head) owns. */
export interface InternalSlice {
  readonly role: string;
  readonly axis: number;
  readonly indices: readonly number[];
}

/**
 * Prunable structure inside one op that does not change its input or output channels (attention
 * heads, the dims of every head): `count` units, unit `u` owning the param slices `slices(u)`.
 */
export interface InternalGroup {
  /** Name of the structure, e.g. 'heads' or 'headDims'. */
  readonly name: string;
  readonly count: number;
  slices(unit: number): readonly InternalSlice[];
}

/** Normalization family of an op, for batch-norm re-estimation, slimming and folding. */
export type NormKind = 'batch' | 'layer';

/**
 * How a batch norm that reads only this op's output folds into it (inference mode): with
 * `f = gamma / sqrt(movingVariance + epsilon)` per output channel, kernel' = kernel * f and
 * bias' = beta + (bias - movingMean) * f.
 */
export interface BatchNormFold<A extends Attrs = Attrs> {
  /** Role of the param scaled per output channel. */
  readonly kernel: string;
  /** Role of the bias that absorbs the shift (created when the op had none). */
  readonly bias: string;
  /** Shape the per-output-channel factor `[cOut]` takes so that it broadcasts against the kernel. */
  scaleShape(kernelShape: Shape): Shape;
  /** Attributes of the op after folding (it needs a bias). */
  foldedAttrs(attrs: A): A;
}

/** Activations tfjs-core's fused conv2d / depthwiseConv2d / matMul kernels apply after the bias. */
export type KernelActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'elu';

/**
 * The inference-mode form of a conv/dense op as one tfjs-core fused kernel: the op, its bias and
 * a following activation in one pass (the executor folds a following batch norm into `kernel`
 * and `bias` first, as {@link BatchNormFold} says).
 */
export interface FusedInference<A extends Attrs = Attrs> {
  /** Whether a node with these attributes runs fused (e.g. a grouped conv does not). */
  accepts(attrs: A): boolean;
  /** `activation(op(x, kernel) + bias)` in one kernel; `bias` undefined for none. */
  run(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined, attrs: A, activation: KernelActivation): tf.Tensor;
}

/** Inference-mode batch norm as a per-channel affine map `y = x * scale + shift`. */
export interface InferenceAffine {
  readonly scale: tf.Tensor;
  readonly shift: tf.Tensor;
}

/** Everything Bonsai knows about one op: one object per op, one file per op family. */
export interface OpSpec<A extends Attrs = Attrs> {
  readonly name: string;
  /** Number of inputs, or 'variadic' (>= 1). */
  readonly arity: number | 'variadic';
  /** Declarative attribute schema; `normalizeAttrs` is derived from it (plus cross-field checks). */
  readonly attrSchema: AttrSchema;
  /** Fills in defaults and validates; throws ConfigError naming the bad attribute. */
  normalizeAttrs(attrs: Attrs): A;
  /** True only for the graph-input op: its value is fed, not computed. */
  readonly graphInput: boolean;
  /** Normalization family, or null for other ops. */
  readonly norm: NormKind | null;
  /**
   * Role of the param quantized as this op's weight (e.g. 'kernel'), or null. Per-channel
   * scales run along that param's `quantAxis`, else its `outAxis`, else its `inAxis`.
   */
  readonly weightParam: string | null;
  /**
   * Further params quantized like `weightParam` when the node has them (attention's Q/K/V
   * projections besides `wo`); optional, default none. Only weight quantization reads it.
   */
  readonly extraWeightParams?: readonly string[];
  /** The output is on its input's quantization grid (pooling max, reshapes, ReLU): no re-quantization. */
  readonly quantPassthrough: boolean;
  /** An activation that integer kernels fuse into the producing op: quantize after it, not before. */
  readonly fusedActivation: boolean;
  /** How a following batch norm folds into this op, or null when it does not. */
  readonly foldsBatchNorm: BatchNormFold<A> | null;
  /** The op as one fused tfjs kernel at inference (conv2d, depthwiseConv2d, dense); absent when none. */
  readonly fusedInference?: FusedInference<A>;
  /** A norm's inference-mode affine map (batch norm), for folding into the producing op; absent when none. */
  inferenceAffine?(params: Readonly<Record<string, tf.Tensor>>, attrs: A): InferenceAffine;
  /** The fused-kernel activation this elementwise op equals (relu, relu6, sigmoid); absent when none. */
  readonly kernelActivation?: KernelActivation;
  /** Output shape (no batch dim); throws ShapeError when the inputs do not fit. */
  inferShape(inputShapes: readonly Shape[], attrs: A): Shape;
  /** Parameters and their shapes; `{}` for ops without parameters. */
  paramShapes(inputShapes: readonly Shape[], attrs: A): Readonly<Record<string, ParamSpec>>;
  /** The op on tfjs-core. Params are the effective (masked) values. */
  forward(inputs: readonly tf.Tensor[], params: Readonly<Record<string, tf.Tensor>>, attrs: A, ctx: ForwardContext): tf.Tensor;
  /** Multiply-accumulates for one sample (conv and dense; elementwise ops count 0). */
  macs(inputShapes: readonly Shape[], outputShape: Shape, attrs: A): number;
  /** Channel semantics used by the dependency graph. */
  channelRule(inputShapes: readonly Shape[], attrs: A): ChannelRule;
  /** Internal prunable structure (attention heads, head dims) for @bonsai/graph; absent when none. */
  internalGroups?(inputShapes: readonly Shape[], attrs: A): readonly InternalGroup[];
  /** Attributes after internal group `name` kept only units `kept` (ascending, old numbering). */
  adaptInternal?(attrs: A, name: string, kept: readonly number[]): A;
  /** New attributes after channel pruning (e.g. conv `filters`, split `sizes`); default: unchanged. */
  adaptAttrs?(attrs: A, change: ChannelChange): A;
}

/** The traits of an op with no special role; spread it into a spec and override what differs. */
export const plainTraits = {
  graphInput: false,
  norm: null,
  weightParam: null,
  quantPassthrough: false,
  fusedActivation: false,
  foldsBatchNorm: null,
} as const satisfies Pick<OpSpec, 'graphInput' | 'norm' | 'weightParam' | 'quantPassthrough' | 'fusedActivation' | 'foldsBatchNorm'>;
