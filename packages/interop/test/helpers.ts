import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { tfjsArtifacts } from './tfjs-io';

export { loadWithTfjs, tfjsArtifacts } from './tfjs-io';

/** A fresh temp folder. */
export function tempDir(tag: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `bonsai-interop-${tag}-`));
}

/** Writes model.json + weights.bin of a tfjs model into `dir` (created). */
export async function saveTfjsToFolder(model: tfl.LayersModel, dir: string): Promise<void> {
  const art = await tfjsArtifacts(model);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'weights.bin'), new Uint8Array(art.weights));
  await writeFile(join(dir, 'model.json'), JSON.stringify(art.modelJson));
}

/** Gives every weight of a tfjs model seeded random values (variances positive). */
export function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  const values = model.weights.map((w, i) => {
    const shape = w.shape as number[];
    return w.originalName.endsWith('moving_variance')
      ? tf.randomUniform(shape, 0.5, 1.5, 'float32', seed + i)
      : tf.randomUniform(shape, -0.5, 0.5, 'float32', seed + i);
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
}

/** Largest absolute difference of two tensors of equal shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** Runs a tfjs model and returns one tensor. */
export function tfjsPredict(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor {
  const y = model.predict(x);
  if (Array.isArray(y)) throw new Error('single output expected');
  return y as tf.Tensor;
}

/** A Sequential CNN with BN, pooling, dropout and activation attributes. */
export function sequentialCnn(): tfl.LayersModel {
  return tfl.sequential({
    name: 'seq_cnn',
    layers: [
      tfl.layers.conv2d({ inputShape: [12, 12, 2], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1' }),
      tfl.layers.batchNormalization({ name: 'bn1', epsilon: 1e-3, momentum: 0.9 }),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu6', name: 'conv2' }),
      tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'pool2' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dropout({ rate: 0.25, name: 'drop' }),
      tfl.layers.dense({ units: 16, activation: 'tanh', name: 'fc1' }),
      tfl.layers.dense({ units: 5, activation: 'softmax', name: 'fc2' }),
    ],
  });
}

/** A functional model with Add, Concatenate, DepthwiseConv2D, a ReLU layer, Reshape and GAP. */
export function functionalNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [10, 10, 3], name: 'image' });
  const stem = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'stem' }).apply(input) as tfl.SymbolicTensor;
  const bn = tfl.layers.batchNormalization({ name: 'stem_bn' }).apply(stem) as tfl.SymbolicTensor;
  const act = tfl.layers.reLU({ name: 'stem_relu' }).apply(bn) as tfl.SymbolicTensor;
  const b1 = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'sigmoid', name: 'branch_a' }).apply(act) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'residual' }).apply([act, b1]) as tfl.SymbolicTensor;
  const dw = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', strides: 2, name: 'dw' }).apply(sum) as tfl.SymbolicTensor;
  const b2 = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'branch_b' }).apply(dw) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate({ name: 'cat' }).apply([dw, b2]) as tfl.SymbolicTensor;
  const r6 = tfl.layers.reLU({ maxValue: 6, name: 'cat_relu6' }).apply(cat) as tfl.SymbolicTensor;
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(r6) as tfl.SymbolicTensor;
  const rs = tfl.layers.reshape({ targetShape: [4, 5], name: 'tokens' }).apply(gap) as tfl.SymbolicTensor;
  const ln = tfl.layers.layerNormalization({ name: 'ln' }).apply(rs) as tfl.SymbolicTensor;
  const fl = tfl.layers.flatten({ name: 'flat' }).apply(ln) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'logits' }).apply(fl) as tfl.SymbolicTensor;
  const soft = tfl.layers.activation({ activation: 'softmax', name: 'probs' }).apply(out) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: soft, name: 'func_net' });
}

/** A model built around SeparableConv2D (depth multiplier 2, strides 2, relu). */
export function separableNet(): tfl.LayersModel {
  return tfl.sequential({
    name: 'sep_net',
    layers: [
      tfl.layers.inputLayer({ inputShape: [9, 9, 4], name: 'in' }),
      tfl.layers.separableConv2d({ filters: 6, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu', name: 'sep1' }),
      tfl.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'valid', useBias: false, name: 'sep2' }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 4, name: 'out' }),
    ],
  });
}

/**
 * A functional model with the layers real models add: ZeroPadding2D, Cropping2D, UpSampling2D,
 * Rescaling, PReLU, LeakyReLU, ReLU(max_value), swish, squeeze-and-excite (Reshape + Multiply),
 * GlobalMaxPooling2D, Permute, LayerNormalization.
 */
export function modernNet(): tfl.LayersModel {
  type Sym = tfl.SymbolicTensor;
  const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  let x = apply(tfl.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: 'scale' }), input);
  x = apply(tfl.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad' }), x);
  x = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'swish', name: 'stem' }), x);
  x = apply(tfl.layers.prelu({ sharedAxes: [1, 2], name: 'prelu' }), x);
  const gate = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'sigmoid', name: 'se_expand' }), apply(tfl.layers.reshape({ targetShape: [1, 1, 6], name: 'se_reshape' }), apply(tfl.layers.globalAveragePooling2d({ name: 'se_squeeze' }), x)));
  x = apply(tfl.layers.multiply({ name: 'se_excite' }), [x, gate]);
  x = apply(tfl.layers.upSampling2d({ size: [2, 2], name: 'up' }), x);
  x = apply(tfl.layers.cropping2D({ cropping: [[1, 1], [0, 2]], name: 'crop' }), x);
  x = apply(tfl.layers.leakyReLU({ alpha: 0.2, name: 'leaky' }), x);
  x = apply(tfl.layers.reLU({ maxValue: 4, name: 'cap' }), x);
  const tokens = apply(tfl.layers.layerNormalization({ name: 'ln' }), apply(tfl.layers.permute({ dims: [2, 1, 3], name: 'perm' }), x));
  const y = apply(tfl.layers.dense({ units: 3, name: 'head' }), apply(tfl.layers.globalMaxPooling2d({ name: 'gmp' }), tokens));
  return tfl.model({ inputs: input, outputs: y, name: 'modern_net' });
}
