import * as tf from '@tensorflow/tfjs-core';
import { asFloat, unbroadcast, type Grad } from './util';

const x32 = (x: tf.Tensor): tf.Tensor => tf.cast(x, 'float32');
/** SELU's constants (as tfjs and Keras). */
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

/** An elementwise op whose gradient is `dy * d(x)`, with `d` built from the saved input. */
function elementwise(kernelName: string, d: (x: tf.Tensor, attrs: tf.NamedAttrMap) => tf.Tensor): Grad {
  return { kernelName, inputsToSave: ['x'], gradFunc: (dy, [x], attrs) => ({ x: () => tf.mul(dy, d(x!, attrs)) }) };
}

/** An elementwise op whose gradient is `dy * d(y)`, with `d` built from the saved output. */
function fromOutput(kernelName: string, d: (y: tf.Tensor) => tf.Tensor): Grad {
  return { kernelName, outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy, d(y!)) }) };
}

/** Zero gradient (piecewise-constant ops). */
const zero = (kernelName: string): Grad => ({ kernelName, inputsToSave: ['x'], gradFunc: (_dy, [x]) => ({ x: () => tf.zerosLike(x32(x!)) }) });

/** Comparisons are piecewise constant: zero gradient for both inputs (`where(greater(x, 0), ...)`). */
function comparison(kernelName: string): Grad {
  return { kernelName, inputsToSave: ['a', 'b'], gradFunc: (_dy, [a, b]) => ({ a: () => tf.zerosLike(x32(a!)), b: () => tf.zerosLike(x32(b!)) }) };
}

/** Gradients of the elementwise unary ops and comparisons. */
export const unaryGrads: readonly Grad[] = [
  fromOutput(tf.Exp, (y) => y),
  elementwise(tf.Log, (x) => tf.reciprocal(x32(x))),
  elementwise(tf.Sqrt, (x) => tf.div(0.5, tf.sqrt(x32(x)))),
  elementwise(tf.Rsqrt, (x) => tf.mul(-0.5, tf.pow(x32(x), -1.5))),
  elementwise(tf.Square, (x) => tf.mul(x32(x), 2)),
  elementwise(tf.Reciprocal, (x) => tf.neg(tf.reciprocal(tf.square(x32(x))))),
  elementwise(tf.Abs, (x) => tf.sign(x32(x))),
  // Step (x > 0 ? 1 : 0) is one unary kernel; Greater + Cast is ~5x slower on wasm.
  elementwise(tf.Relu, (x) => tf.step(x32(x), 0)),
  elementwise(tf.Relu6, (x) => asFloat(tf.logicalAnd(tf.greater(x, 0), tf.lessEqual(x, 6)))),
  elementwise(tf.LeakyRelu, (x, a) => tf.where(tf.greater(x, 0), tf.onesLike(x32(x)), tf.fill(x.shape, a.alpha as number))),
  fromOutput(tf.Elu, (y) => tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1))),
  elementwise(tf.Selu, (x) => tf.where(tf.greater(x, 0), tf.fill(x.shape, SELU_SCALE), tf.mul(tf.exp(x32(x)), SELU_SCALE * SELU_ALPHA))),
  fromOutput(tf.Sigmoid, (y) => tf.mul(y, tf.sub(1, y))),
  fromOutput(tf.Tanh, (y) => tf.sub(1, tf.square(y))),
  elementwise(tf.Softplus, (x) => tf.sigmoid(x32(x))),
  elementwise(tf.Erf, (x) => tf.mul(2 / Math.sqrt(Math.PI), tf.exp(tf.neg(tf.square(x32(x)))))),
  elementwise(tf.ClipByValue, (x, a) => asFloat(tf.logicalAnd(tf.greaterEqual(x, a.clipValueMin as number), tf.lessEqual(x, a.clipValueMax as number)))),
  { kernelName: tf.Cast, gradFunc: (dy) => ({ x: () => tf.clone(dy) }) },
  { kernelName: tf.Identity, gradFunc: (dy) => ({ x: () => tf.clone(dy) }) },
  zero(tf.Step),
  zero(tf.Floor),
  zero(tf.Ceil),
  zero(tf.Round),
  zero(tf.Sign),
  ...[tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.Equal, tf.NotEqual].map(comparison),
  {
    kernelName: tf.Prelu,
    inputsToSave: ['x', 'alpha'],
    gradFunc: (dy, [x, alpha]) => {
      const pos = tf.greater(x!, 0);
      return {
        x: () => tf.where(pos, dy, tf.mul(dy, alpha!)),
        alpha: () => unbroadcast(tf.where(pos, tf.zerosLike(dy), tf.mul(dy, x!)), alpha!.shape),
      };
    },
  },
];
