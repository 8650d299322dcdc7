import * as tf from '@tensorflow/tfjs-core';

/** A gradient function: upstream gradient, saved tensors, kernel attributes -> input gradients. */
export type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor>;

/** One gradient config, registered against the app's tfjs-core (`tf.registerGradient`). */
export interface Grad {
  readonly kernelName: string;
  readonly inputsToSave?: string[];
  readonly outputsToSave?: boolean[];
  /** Save every input (variadic kernels: AddN, Concat, Pack). */
  readonly saveAllInputs?: boolean;
  readonly gradFunc: GradFunc;
}

/** Sums `dy` over the axes along which an input of `shape` was broadcast, and reshapes to it. */
export function unbroadcast(dy: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(summed, [...shape]);
}

/** The axes a reduction ran over (`null`/`undefined` = all), as non-negative numbers. */
export function reductionAxes(axis: unknown, shape: readonly number[]): number[] {
  if (axis === null || axis === undefined) return shape.map((_, i) => i);
  return tf.util.parseAxisParam(axis as number | number[], [...shape]);
}

/** `x`'s shape with the reduced `axes` kept as size 1. */
export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A float 0/1 tensor from a boolean one. */
export const asFloat = (b: tf.Tensor): tf.Tensor => tf.cast(b, 'float32');
