import type { LossSpec, Model, NodeId } from '@bonsai/core';
import { frozenRun, kdLoss } from '@bonsai/distill';
import * as tf from '@tensorflow/tfjs-core';

/** A loss for core's `train()` and the extra outputs it needs captured. */
export interface OutputDistillation {
  loss: LossSpec;
  /** Graph outputs after the first (pass as `train`'s `capture`). */
  capture: NodeId[];
}

/** `mean((s - t)^2) / (mean(t^2) + 1e-6)`: squared error relative to the teacher's output scale. */
function relativeMse(student: tf.Tensor, teacher: tf.Tensor): tf.Scalar {
  return tf.div(tf.mean(tf.squaredDifference(student, teacher)), tf.add(tf.mean(tf.square(teacher)), 1e-6)) as tf.Scalar;
}

/**
 * Label-free distillation from `teacher` on every graph output of the model being trained: the
 * first output by KD on softmax (temperature `temperature`, alpha 1: no labels) when it has at
 * least 2 classes, every other output, and a 1-wide first output (a score, a sigmoid), by squared
 * error relative to the teacher's output scale, so a multi-head model (e.g. hand landmarks: a
 * hand score, 63 coordinates, handedness, 63 world coordinates) learns all its heads back. The
 * teacher runs frozen (inference mode, off the gradient tape).
 */
export function outputDistillation(teacher: Model, student: Model, temperature: number): OutputDistillation {
  const capture = student.graph.outputs.slice(1);
  const kd = kdLoss({ temperature, alpha: 1 });
  const classes = student.graph.shape(student.graph.outputs[0]!).reduce((a, b) => a * b, 1);
  const loss: LossSpec = (ctx) =>
    tf.tidy(() => {
      const t = frozenRun(teacher, ctx.batch.x, capture);
      const rows = ctx.batch.x.shape[0]!;
      const flat = (x: tf.Tensor): tf.Tensor => tf.reshape(x, [rows, -1]);
      let total: tf.Scalar = classes >= 2 ? kd(flat(ctx.output), flat(t.output)) : relativeMse(ctx.output, t.output);
      for (const id of capture) total = tf.add(total, relativeMse(ctx.captured[id]!, t.captured[id]!)) as tf.Scalar;
      return total;
    });
  return { loss, capture };
}
