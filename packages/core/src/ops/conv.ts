import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Attrs, Shape } from '../ir/types';
import { fusedConv2d as inferenceConv2d, conv2d as trainableConv2d, depthwiseConv2d as trainableDepthwise } from '../kernels/conv';
import { boolAttr, enumAttr, outSize, pairAttr, posIntAttr, readAttrs, type AttrsOf, type OptionsOf } from './attrs';
import { registerOp } from './registry';
import type { BatchNormFold, FusedInference, OpSpec, ParamSpec } from './spec';

/** The sliding-window attributes convolutions share. */
const windowSchema = { kernel: pairAttr(), strides: pairAttr(1), padding: enumAttr(['same', 'valid'] as const, 'same'), dilation: pairAttr(1) };

/** Attribute schema of `conv2d`: NHWC, kernel [kh, kw, cin/groups, filters]. */
export const conv2dSchema = { filters: posIntAttr(), ...windowSchema, groups: posIntAttr(1), useBias: boolAttr(true) };
/** Attributes of `conv2d`. */
export type Conv2dAttrs = AttrsOf<typeof conv2dSchema>;
/** What `GraphBuilder.conv2d` accepts. */
export type Conv2dOptions = OptionsOf<typeof conv2dSchema>;

/** Attribute schema of `depthwiseConv2d`: kernel [kh, kw, cin, multiplier]. */
export const depthwiseConv2dSchema = { ...windowSchema, multiplier: posIntAttr(1), useBias: boolAttr(true) };
/** Attributes of `depthwiseConv2d`. */
export type DepthwiseConv2dAttrs = AttrsOf<typeof depthwiseConv2dSchema>;
/** What `GraphBuilder.depthwiseConv2d` accepts. */
export type DepthwiseConv2dOptions = OptionsOf<typeof depthwiseConv2dSchema>;

/** A batch norm folds into a kernel whose last axis is the output channel (conv2d, dense). */
export function lastAxisFold<A extends Attrs & { useBias: boolean }>(): BatchNormFold<A> {
  return {
    kernel: 'kernel',
    bias: 'bias',
    scaleShape: (k) => [k[k.length - 1]!],
    foldedAttrs: (a) => ({ ...a, useBias: true }),
  };
}

const convTraits = { graphInput: false, norm: null, weightParam: 'kernel', quantPassthrough: false, fusedActivation: false } as const;

function spatial(inputShapes: readonly Shape[], op: string): [number, number, number] {
  const s = inputShapes[0];
  if (s?.length !== 3) throw new ShapeError(`${op} expects an [h, w, c] input, got [${s?.join(', ') ?? ''}]`);
  return [s[0]!, s[1]!, s[2]!];
}

function outHW(h: number, w: number, a: { kernel: readonly [number, number]; strides: readonly [number, number]; padding: 'same' | 'valid'; dilation: readonly [number, number] }, op: string): [number, number] {
  const oh = outSize(h, a.kernel[0], a.strides[0], a.padding, a.dilation[0]);
  const ow = outSize(w, a.kernel[1], a.strides[1], a.padding, a.dilation[1]);
  if (oh < 1 || ow < 1) throw new ShapeError(`${op}: kernel [${a.kernel.join(', ')}] does not fit input ${h}x${w}`);
  return [oh, ow];
}

/** conv2d + bias + activation in one kernel (Winograd on the wasm heap for 3x3 stride 1, else tfjs-core's fused conv; ungrouped convs only). */
const fusedConv2d: FusedInference<Conv2dAttrs> = {
  accepts: (a) => a.groups === 1,
  run: (x, kernel, bias, a, activation) => inferenceConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, {
    strides: [a.strides[0], a.strides[1]], pad: a.padding, dilations: [a.dilation[0], a.dilation[1]], ...(bias ? { bias: bias as tf.Tensor1D } : {}), activation,
  }),
};

/** depthwiseConv2d + bias + activation as tfjs-core's fused kernel. */
const fusedDepthwise: FusedInference<DepthwiseConv2dAttrs> = {
  accepts: () => true,
  run: (x, kernel, bias, a, activation) => tf.fused.depthwiseConv2d({
    x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, strides: [a.strides[0], a.strides[1]], pad: a.padding,
    dilations: [a.dilation[0], a.dilation[1]], bias, activation,
  }),
};

/** conv2d, including grouped convolution (`groups` > 1). */
export const conv2dOp: OpSpec<Conv2dAttrs> = {
  name: 'conv2d',
  arity: 1,
  attrSchema: conv2dSchema,
  normalizeAttrs: (a) => readAttrs(conv2dSchema, a, 'conv2d'),
  ...convTraits,
  foldsBatchNorm: lastAxisFold(),
  fusedInference: fusedConv2d,
  inferShape(inputShapes, a) {
    const [h, w, c] = spatial(inputShapes, 'conv2d');
    if (c % a.groups !== 0 || a.filters % a.groups !== 0) {
      throw new ShapeError(`conv2d: input channels ${c} and filters ${a.filters} must both be divisible by groups ${a.groups}`);
    }
    return [...outHW(h, w, a, 'conv2d'), a.filters];
  },
  paramShapes(inputShapes, a) {
    const [, , c] = spatial(inputShapes, 'conv2d');
    const p: Record<string, ParamSpec> = {
      kernel: { shape: [a.kernel[0], a.kernel[1], c / a.groups, a.filters], init: 'glorotUniform', trainable: true, outAxis: 3, inAxis: 2 },
    };
    if (a.useBias) p.bias = { shape: [a.filters], init: 'zeros', trainable: true, outAxis: 0 };
    return p;
  },
  forward([x], params, a, ctx) {
    let y: tf.Tensor4D = trainableConv2d(x as tf.Tensor4D, params.kernel as tf.Tensor4D, {
      strides: [a.strides[0], a.strides[1]],
      pad: a.padding,
      dilations: [a.dilation[0], a.dilation[1]],
      groups: a.groups,
      inputGrad: ctx.constantInputs?.[0] !== true,
    });
    if (params.bias) y = tf.add(y, params.bias);
    return y;
  },
  macs(inputShapes, out, a) {
    const c = inputShapes[0]![2]!;
    return out[0]! * out[1]! * a.filters * a.kernel[0] * a.kernel[1] * (c / a.groups);
  },
  channelRule(_s, a) {
    return a.groups === 1 ? { kind: 'reduce' } : { kind: 'grouped', groups: a.groups };
  },
  adaptAttrs(a, change) {
    const k = change.paramShapes.kernel;
    return k ? { ...a, filters: k[3]! } : a;
  },
};

/** Depthwise conv2d: each input channel convolved with `multiplier` filters of its own. */
export const depthwiseConv2dOp: OpSpec<DepthwiseConv2dAttrs> = {
  name: 'depthwiseConv2d',
  arity: 1,
  attrSchema: depthwiseConv2dSchema,
  normalizeAttrs: (a) => readAttrs(depthwiseConv2dSchema, a, 'depthwiseConv2d'),
  ...convTraits,
  // Output channel c * multiplier + m is kernel[..., c, m]: the factor is reshaped to [c, m].
  foldsBatchNorm: {
    kernel: 'kernel',
    bias: 'bias',
    scaleShape: (k) => k.slice(2),
    foldedAttrs: (a) => ({ ...a, useBias: true }),
  },
  fusedInference: fusedDepthwise,
  inferShape(inputShapes, a) {
    const [h, w, c] = spatial(inputShapes, 'depthwiseConv2d');
    return [...outHW(h, w, a, 'depthwiseConv2d'), c * a.multiplier];
  },
  paramShapes(inputShapes, a) {
    const [, , c] = spatial(inputShapes, 'depthwiseConv2d');
    const p: Record<string, ParamSpec> = {
      kernel: { shape: [a.kernel[0], a.kernel[1], c, a.multiplier], init: 'glorotUniform', trainable: true, inAxis: 2 },
    };
    if (a.useBias) p.bias = { shape: [c * a.multiplier], init: 'zeros', trainable: true, outAxis: 0 };
    return p;
  },
  forward([x], params, a, ctx) {
    let y: tf.Tensor4D = trainableDepthwise(x as tf.Tensor4D, params.kernel as tf.Tensor4D, {
      strides: [a.strides[0], a.strides[1]],
      pad: a.padding,
      dilations: [a.dilation[0], a.dilation[1]],
      inputGrad: ctx.constantInputs?.[0] !== true,
    });
    if (params.bias) y = tf.add(y, params.bias);
    return y;
  },
  macs(inputShapes, out, a) {
    return out[0]! * out[1]! * inputShapes[0]![2]! * a.multiplier * a.kernel[0] * a.kernel[1];
  },
  channelRule(_s, a) {
    return { kind: 'depthwise', multiplier: a.multiplier };
  },
};

registerOp(conv2dOp);
registerOp(depthwiseConv2dOp);
