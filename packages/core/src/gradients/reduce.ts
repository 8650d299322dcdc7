import * as tf from '@tensorflow/tfjs-core';
import { asFloat, keptShape, reductionAxes, type Grad } from './util';

/** `dy * scale` of a reduction over `axes` of `x`, broadcast back to `x`'s shape. */
function spread(dy: tf.Tensor, x: tf.Tensor, axes: readonly number[], scale = 1): tf.Tensor {
  // A broadcasting add onto zeros (Fill writes the wasm heap in place): wasm's Tile (tf.broadcastTo) is ~40x slower, and tf.ones
  // would fill and upload a JS array of x's size.
  const small = tf.reshape(scale === 1 ? dy : tf.mul(dy, scale), keptShape(x.shape, axes));
  return tf.add(tf.fill(x.shape, 0, 'float32'), small);
}

/** Max/Min: the gradient goes to every position equal to the result (as tfjs does). */
function extremum(kernelName: string): Grad {
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs) => {
      // Max names its axes `reductionIndices`, Min `axis`.
      const axes = reductionAxes(attrs.reductionIndices ?? attrs.axis, x!.shape);
      const shape = keptShape(x!.shape, axes);
      return { x: () => tf.mul(tf.reshape(dy, shape), asFloat(tf.equal(tf.reshape(y!, shape), x!))) };
    },
  };
}

/** Gradients of reductions and softmax. */
export const reduceGrads: readonly Grad[] = [
  { kernelName: tf.Sum, inputsToSave: ['x'], gradFunc: (dy, [x], attrs) => ({ x: () => spread(dy, x!, reductionAxes(attrs.axis, x!.shape)) }) },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = reductionAxes(attrs.axis, x!.shape);
      const count = axes.reduce((n, a) => n * x!.shape[a]!, 1);
      return { x: () => spread(dy, x!, axes, 1 / count) };
    },
  },
  extremum(tf.Max),
  extremum(tf.Min),
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => {
      const dim = attrs.dim as number;
      return { logits: () => tf.mul(tf.sub(dy, tf.sum(tf.mul(dy, y!), [dim], true)), y!) };
    },
  },
];
