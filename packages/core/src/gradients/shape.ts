import * as tf from '@tensorflow/tfjs-core';
import type { Grad } from './util';

/** Gradients of ops that move values without computing (reshape, transpose, slicing, joins). */
export const shapeGrads: readonly Grad[] = [
  { kernelName: tf.Reshape, inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy, x!.shape) }) },
  { kernelName: tf.ExpandDims, inputsToSave: ['input'], gradFunc: (dy, [x]) => ({ input: () => tf.reshape(dy, x!.shape) }) },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _s, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy, inverse) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0]!.shape)[0]!;
      const parts = tf.split(dy, saved.map((t) => t.shape[axis]!), axis);
      return Object.fromEntries(parts.map((p, i) => [i, () => p]));
    },
  },
  {
    // Several outputs: the engine passes one gradient per piece (zeros for unused pieces).
    kernelName: tf.SplitV,
    gradFunc: (dy, _s, attrs) => ({ x: () => tf.concat(dy as unknown as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernelName: tf.Unpack,
    gradFunc: (dy, _s, attrs) => ({ value: () => tf.stack(dy as unknown as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const begin = attrs.begin as number[];
      const paddings = x!.shape.map((d, i): [number, number] => [begin[i]!, d - begin[i]! - dy.shape[i]!]);
      return { x: () => tf.pad(dy, paddings) };
    },
  },
  {
    kernelName: tf.PadV2,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const paddings = attrs.paddings as Array<[number, number]>;
      return { x: () => tf.slice(dy, paddings.map((p) => p[0]), x!.shape) };
    },
  },
  {
    kernelName: tf.Pack,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const parts = tf.unstack(dy, attrs.axis as number);
      return Object.fromEntries(saved.map((_, i) => [i, () => parts[i]!]));
    },
  },
  {
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const reps = attrs.reps as number[];
      // Split every axis into (reps, size) and sum the reps axes.
      const shape = x!.shape.flatMap((d, i) => [reps[i]!, d]);
      const axes = x!.shape.map((_, i) => 2 * i);
      return { x: () => tf.sum(tf.reshape(dy, shape), axes) };
    },
  },
  {
    kernelName: tf.Select,
    inputsToSave: ['condition'],
    gradFunc: (dy, [c]) => ({
      condition: () => tf.zerosLike(c!),
      t: () => tf.mul(dy, tf.cast(c!, dy.dtype)),
      e: () => tf.mul(dy, tf.cast(tf.logicalNot(c!), dy.dtype)),
    }),
  },
];
