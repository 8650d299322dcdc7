/**
 * Keras-application-shaped LayersModels built with stock @tensorflow/tfjs-layers, layer for
 * layer as keras.applications writes them (names, padding, epsilon, momentum), at small sizes:
 * - MobileNetV2 (keras/applications/mobilenet_v2.py, the version with `Conv1_pad`): ZeroPadding2D
 *   before every stride-2 depthwise conv, ReLU(6.), DepthwiseConv2D, BN, residual Add.
 * - EfficientNet-style (keras/applications/efficientnet.py `block()`): Rescaling stem, swish,
 *   squeeze-and-excite (GlobalAveragePooling2D + Reshape + Conv2D swish + Conv2D sigmoid + Multiply).
 * A real pretrained Keras MobileNetV2 LayersModel does ship inside an npm package (nsfwjs 4.3.0,
 * vendored in fixtures/layers-model/, tested in nsfwjs-mobilenet.test.ts); these builders add the
 * EfficientNet-style layers it lacks and sizes small enough for the pruning tests.
 * (@tensorflow-models/mobilenet 2.1.1 and @teachablemachine/image 0.8.5 fetch from a hub.)
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Sym = tfl.SymbolicTensor;
const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** keras.applications' `_make_divisible`. */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** keras.applications' `correct_pad` for a square kernel on an [h, w, c] tensor. */
function correctPad(x: Sym, k: number): [[number, number], [number, number]] {
  const [h, w] = [x.shape[1]!, x.shape[2]!];
  const c = Math.floor(k / 2);
  return [[c - (1 - (h % 2)), c], [c - (1 - (w % 2)), c]];
}

const bn = (name: string, momentum = 0.999): tfl.layers.Layer => tfl.layers.batchNormalization({ epsilon: 1e-3, momentum, name });

function invertedResBlock(input: Sym, expansion: number, stride: number, alpha: number, filters: number, blockId: number): Sym {
  const inChannels = input.shape[3]!;
  const pointwise = makeDivisible(Math.floor(filters * alpha));
  let x = input;
  let prefix = `block_${blockId}_`;
  if (blockId) {
    x = apply(tfl.layers.conv2d({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` }), x);
    x = apply(bn(`${prefix}expand_BN`), x);
    x = apply(tfl.layers.reLU({ maxValue: 6, name: `${prefix}expand_relu` }), x);
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) x = apply(tfl.layers.zeroPadding2d({ padding: correctPad(x, 3), name: `${prefix}pad` }), x);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise` }), x);
  x = apply(bn(`${prefix}depthwise_BN`), x);
  x = apply(tfl.layers.reLU({ maxValue: 6, name: `${prefix}depthwise_relu` }), x);
  x = apply(tfl.layers.conv2d({ filters: pointwise, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }), x);
  x = apply(bn(`${prefix}project_BN`), x);
  if (inChannels === pointwise && stride === 1) return apply(tfl.layers.add({ name: `${prefix}add` }), [input, x]);
  return x;
}

/** Options of {@link mobileNetV2}. */
export interface MobileNetV2Options {
  size?: number;
  alpha?: number;
  classes?: number;
}

/** keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha, classes, weights=None). */
export function mobileNetV2({ size = 64, alpha = 0.35, classes = 10 }: MobileNetV2Options = {}): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 3], name: 'input_1' });
  let x = apply(tfl.layers.zeroPadding2d({ padding: correctPad(input, 3), name: 'Conv1_pad' }), input);
  x = apply(tfl.layers.conv2d({ filters: makeDivisible(32 * alpha), kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'Conv1' }), x);
  x = apply(bn('bn_Conv1'), x);
  x = apply(tfl.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }), x);
  const blocks: Array<[filters: number, stride: number, expansion: number]> = [
    [16, 1, 1], [24, 2, 6], [24, 1, 6], [32, 2, 6], [32, 1, 6], [32, 1, 6], [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
    [96, 1, 6], [96, 1, 6], [96, 1, 6], [160, 2, 6], [160, 1, 6], [160, 1, 6], [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], id) => {
    x = invertedResBlock(x, expansion, stride, alpha, filters, id);
  });
  const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  x = apply(tfl.layers.conv2d({ filters: last, kernelSize: 1, useBias: false, name: 'Conv_1' }), x);
  x = apply(bn('Conv_1_bn'), x);
  x = apply(tfl.layers.reLU({ maxValue: 6, name: 'out_relu' }), x);
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  const y = apply(tfl.layers.dense({ units: classes, activation: 'softmax', name: 'Logits' }), x);
  return tfl.model({ inputs: input, outputs: y, name: `mobilenetv2_${alpha.toFixed(2)}_${size}` });
}

interface BlockArgs {
  name: string;
  filtersIn: number;
  filtersOut: number;
  kernel: number;
  strides: number;
  expand: number;
  seRatio: number;
}

/** keras.applications.efficientnet `block()` with activation "swish" (drop_rate 0). */
function efficientBlock(inputs: Sym, a: BlockArgs): Sym {
  const filters = a.filtersIn * a.expand;
  let x = inputs;
  if (a.expand !== 1) {
    x = apply(tfl.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, name: `${a.name}expand_conv` }), x);
    x = apply(bn(`${a.name}expand_bn`, 0.99), x);
    x = apply(tfl.layers.activation({ activation: 'swish', name: `${a.name}expand_activation` }), x);
  }
  if (a.strides === 2) x = apply(tfl.layers.zeroPadding2d({ padding: correctPad(x, a.kernel), name: `${a.name}dwconv_pad` }), x);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: a.kernel, strides: a.strides, padding: a.strides === 2 ? 'valid' : 'same', useBias: false, name: `${a.name}dwconv` }), x);
  x = apply(bn(`${a.name}bn`, 0.99), x);
  x = apply(tfl.layers.activation({ activation: 'swish', name: `${a.name}activation` }), x);
  if (a.seRatio > 0) {
    const filtersSe = Math.max(1, Math.floor(a.filtersIn * a.seRatio));
    let se = apply(tfl.layers.globalAveragePooling2d({ name: `${a.name}se_squeeze` }), x);
    se = apply(tfl.layers.reshape({ targetShape: [1, 1, filters], name: `${a.name}se_reshape` }), se);
    se = apply(tfl.layers.conv2d({ filters: filtersSe, kernelSize: 1, padding: 'same', activation: 'swish', name: `${a.name}se_reduce` }), se);
    se = apply(tfl.layers.conv2d({ filters, kernelSize: 1, padding: 'same', activation: 'sigmoid', name: `${a.name}se_expand` }), se);
    x = apply(tfl.layers.multiply({ name: `${a.name}se_excite` }), [x, se]);
  }
  x = apply(tfl.layers.conv2d({ filters: a.filtersOut, kernelSize: 1, padding: 'same', useBias: false, name: `${a.name}project_conv` }), x);
  x = apply(bn(`${a.name}project_bn`, 0.99), x);
  if (a.strides === 1 && a.filtersIn === a.filtersOut) x = apply(tfl.layers.add({ name: `${a.name}add` }), [x, inputs]);
  return x;
}

/**
 * An EfficientNet-B0-shaped network at reduced width and depth: Rescaling stem, stem conv,
 * blocks 1a (k3, e1), 2a (k3, s2, e6), 2b (k3, e6, residual), 3a (k5, s2, e6), all with
 * squeeze-and-excite (se_ratio 0.25), top conv, GAP, dense softmax.
 */
export function efficientNetLite({ size = 48, width = 0.5, classes = 10 } = {}): tfl.LayersModel {
  const w = (f: number): number => makeDivisible(f * width);
  const input = tfl.input({ shape: [size, size, 3], name: 'input_1' });
  let x = apply(tfl.layers.rescaling({ scale: 1 / 255, name: 'rescaling' }), input);
  x = apply(tfl.layers.zeroPadding2d({ padding: correctPad(x, 3), name: 'stem_conv_pad' }), x);
  x = apply(tfl.layers.conv2d({ filters: w(32), kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'stem_conv' }), x);
  x = apply(bn('stem_bn', 0.99), x);
  x = apply(tfl.layers.activation({ activation: 'swish', name: 'stem_activation' }), x);
  x = efficientBlock(x, { name: 'block1a_', filtersIn: w(32), filtersOut: w(16), kernel: 3, strides: 1, expand: 1, seRatio: 0.25 });
  x = efficientBlock(x, { name: 'block2a_', filtersIn: w(16), filtersOut: w(24), kernel: 3, strides: 2, expand: 6, seRatio: 0.25 });
  x = efficientBlock(x, { name: 'block2b_', filtersIn: w(24), filtersOut: w(24), kernel: 3, strides: 1, expand: 6, seRatio: 0.25 });
  x = efficientBlock(x, { name: 'block3a_', filtersIn: w(24), filtersOut: w(40), kernel: 5, strides: 2, expand: 6, seRatio: 0.25 });
  x = apply(tfl.layers.conv2d({ filters: w(1280), kernelSize: 1, padding: 'same', useBias: false, name: 'top_conv' }), x);
  x = apply(bn('top_bn', 0.99), x);
  x = apply(tfl.layers.activation({ activation: 'swish', name: 'top_activation' }), x);
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
  const y = apply(tfl.layers.dense({ units: classes, activation: 'softmax', name: 'predictions' }), x);
  return tfl.model({ inputs: input, outputs: y, name: 'efficientnet_lite' });
}

/**
 * Seeded weights with trained-network statistics (so deep stacks neither explode nor saturate):
 * kernels uniform with variance 1/fan_in, biases ±0.1, BN gamma 0.5..1.5, beta and moving mean
 * ±0.2, moving variance 0.5..1.5, PReLU alpha 0..0.3.
 */
export function realisticWeights(model: tfl.LayersModel, seed: number): void {
  const values = model.weights.map((v, i) => {
    const shape = v.shape as number[];
    const name = v.originalName;
    const u = (lo: number, hi: number): tf.Tensor => tf.randomUniform(shape, lo, hi, 'float32', seed + i);
    if (/(kernel)$/.test(name)) {
      const fanIn = name.endsWith('depthwise_kernel') ? shape[0]! * shape[1]! : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const limit = Math.sqrt(3 / fanIn);
      return u(-limit, limit);
    }
    if (name.endsWith('moving_variance') || name.endsWith('gamma')) return u(0.5, 1.5);
    if (name.endsWith('alpha')) return u(0, 0.3);
    return u(name.endsWith('bias') ? -0.1 : -0.2, name.endsWith('bias') ? 0.1 : 0.2);
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
}
