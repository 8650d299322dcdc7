import * as tf from '@tensorflow/tfjs-core';
import { asFloat, unbroadcast, type Grad } from './util';

/** Gradients of the broadcasting binary ops and negation. */
export const arithmeticGrads: readonly Grad[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(dy, a!.shape), b: () => unbroadcast(dy, b!.shape) }),
  },
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [i, () => tf.clone(dy)])),
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(dy, a!.shape), b: () => unbroadcast(tf.neg(dy), b!.shape) }),
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, tf.cast(b!, 'float32')), a!.shape),
      b: () => unbroadcast(tf.mul(dy, tf.cast(a!, 'float32')), b!.shape),
    }),
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(dy, tf.cast(b!, 'float32')), a!.shape),
      b: () => unbroadcast(tf.neg(tf.mul(dy, tf.div(tf.cast(a!, 'float32'), tf.square(tf.cast(b!, 'float32'))))), b!.shape),
    }),
  },
  {
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const d = () => tf.mul(dy, tf.mul(tf.sub(a!, b!), 2));
      return { a: () => unbroadcast(d(), a!.shape), b: () => unbroadcast(tf.neg(d()), b!.shape) };
    },
  },
  {
    kernelName: tf.Maximum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, asFloat(tf.greaterEqual(a!, b!))), a!.shape),
      b: () => unbroadcast(tf.mul(dy, asFloat(tf.less(a!, b!))), b!.shape),
    }),
  },
  {
    kernelName: tf.Minimum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, asFloat(tf.lessEqual(a!, b!))), a!.shape),
      b: () => unbroadcast(tf.mul(dy, asFloat(tf.greater(a!, b!))), b!.shape),
    }),
  },
  {
    kernelName: tf.Pow,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, [a, b, y]) => ({
      a: () => {
        const e = tf.cast(b!, 'float32');
        return unbroadcast(tf.mul(dy, tf.mul(e, tf.pow(a!, tf.sub(e, 1)))), a!.shape);
      },
      b: () => {
        const logBase = tf.where(tf.greater(a!, 0), tf.log(a!), tf.zerosLike(a!));
        return unbroadcast(tf.mul(dy, tf.mul(y!, logBase)), b!.shape);
      },
    }),
  },
  { kernelName: tf.Neg, gradFunc: (dy) => ({ x: () => tf.neg(dy) }) },
];
