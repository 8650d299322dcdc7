import type { Graph, Node, Shape } from '@bonsai/core';
import { InteropError } from './errors';

/** One exported Keras layer: class, config, inbound layer names, and its weights (Keras name -> Bonsai role). */
export interface ExportedLayer {
  className: string;
  config: Record<string, unknown>;
  weights: ReadonlyArray<{ keras: string; role: string }>;
}

const CL = { data_format: 'channels_last' } as const;

type Emit = (node: Node, inputShapes: readonly Shape[], graph: Graph) => ExportedLayer;

const linear = (): ExportedLayer => ({ className: 'Activation', config: { activation: 'linear' }, weights: [] });

const activation =
  (name: string): Emit =>
  () => ({ className: 'Activation', config: { activation: name }, weights: [] });

const biasWeights = (useBias: unknown, kernel: string) => [{ keras: kernel, role: 'kernel' }, ...(useBias ? [{ keras: 'bias', role: 'bias' }] : [])];

/** Bonsai op -> Keras layer emitters. Ops missing here have no tfjs-layers equivalent. */
export const LAYER_EMITTERS: Readonly<Record<string, Emit>> = {
  conv2d: (n) => {
    const a = n.attrs;
    if (a.groups !== 1) throw new InteropError(`Node "${n.id}" (conv2d): grouped convolution (groups ${String(a.groups)}) has no tfjs-layers 4.22 equivalent`, { nodeId: n.id, op: n.op });
    return {
      className: 'Conv2D',
      config: { filters: a.filters, kernel_size: a.kernel, strides: a.strides, padding: a.padding, dilation_rate: a.dilation, activation: 'linear', use_bias: a.useBias, ...CL },
      weights: biasWeights(a.useBias, 'kernel'),
    };
  },
  depthwiseConv2d: (n) => {
    const a = n.attrs;
    return {
      className: 'DepthwiseConv2D',
      config: { kernel_size: a.kernel, strides: a.strides, padding: a.padding, dilation_rate: a.dilation, depth_multiplier: a.multiplier, activation: 'linear', use_bias: a.useBias, ...CL },
      weights: biasWeights(a.useBias, 'depthwise_kernel'),
    };
  },
  dense: (n) => ({
    className: 'Dense',
    config: { units: n.attrs.units, activation: 'linear', use_bias: n.attrs.useBias },
    weights: biasWeights(n.attrs.useBias, 'kernel'),
  }),
  batchNorm: (n) => ({
    className: 'BatchNormalization',
    config: { axis: -1, epsilon: n.attrs.epsilon, momentum: n.attrs.momentum, center: true, scale: true },
    weights: [
      { keras: 'gamma', role: 'gamma' },
      { keras: 'beta', role: 'beta' },
      { keras: 'moving_mean', role: 'movingMean' },
      { keras: 'moving_variance', role: 'movingVariance' },
    ],
  }),
  layerNorm: (n) => ({
    className: 'LayerNormalization',
    config: { axis: -1, epsilon: n.attrs.epsilon, center: true, scale: true },
    weights: [
      { keras: 'gamma', role: 'gamma' },
      { keras: 'beta', role: 'beta' },
    ],
  }),
  relu: activation('relu'),
  relu6: activation('relu6'),
  sigmoid: activation('sigmoid'),
  tanh: activation('tanh'),
  softmax: activation('softmax'),
  gelu: (n) => {
    // tfjs-layers 4.22 has the tanh approximation only as activation "gelu_new", and its JSON
    // loader camel-cases every string value ("geluNew"), so no model.json can select it; "gelu"
    // is the erf form, which differs from Bonsai's by up to ~5e-4.
    throw new InteropError(`Node "${n.id}" (gelu): tfjs-layers 4.22 cannot load a tanh-approximation GELU from model.json ("gelu_new" is camel-cased to an unknown "geluNew")`, { nodeId: n.id, op: n.op });
  },
  maxPool: (n) => ({ className: 'MaxPooling2D', config: { pool_size: n.attrs.pool, strides: n.attrs.strides, padding: n.attrs.padding, ...CL }, weights: [] }),
  avgPool: (n) => ({ className: 'AveragePooling2D', config: { pool_size: n.attrs.pool, strides: n.attrs.strides, padding: n.attrs.padding, ...CL }, weights: [] }),
  globalAvgPool: () => ({ className: 'GlobalAveragePooling2D', config: { ...CL }, weights: [] }),
  add: (n) => (n.inputs.length === 1 ? linear() : { className: 'Add', config: {}, weights: [] }),
  concat: (n) => (n.inputs.length === 1 ? linear() : { className: 'Concatenate', config: { axis: -1 }, weights: [] }),
  // tfjs Flatten needs rank >= 3 tensors; flattening a vector is the identity.
  flatten: (_n, shapes) => (shapes[0]!.length <= 1 ? linear() : { className: 'Flatten', config: { ...CL }, weights: [] }),
  reshape: (n, _s, g) => ({ className: 'Reshape', config: { target_shape: [...g.shape(n.id)] }, weights: [] }),
  dropout: (n) => ({ className: 'Dropout', config: { rate: n.attrs.rate }, weights: [] }),
};
