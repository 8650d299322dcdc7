import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type LossContext, type Model } from '@bonsai/core';
import { frozenRun } from './frozen';
import { kdLoss, type KdOptions } from './kd-loss';

/**
 * A core `LossSpec` for KD-assisted training with core's `train()`: computes the frozen
 * teacher's logits on `ctx.batch.x` (inference mode, not recorded on the gradient tape, see
 * {@link frozenRun}) and applies {@link kdLoss} to `ctx.output` and `ctx.batch.y`.
 *
 * ```ts
 * await train(student, data, { loss: kdLossSpec(teacher, { temperature: 4, alpha: 0.9 }) });
 * ```
 * @throws ConfigError for invalid options, or (per step) when the teacher is the trained model.
 */
export function kdLossSpec(teacher: Model, options: KdOptions = {}): (ctx: LossContext) => tf.Scalar {
  const loss = kdLoss(options);
  return (ctx) => {
    if (ctx.model === teacher) throw new ConfigError('kdLossSpec: the teacher must not be the model being trained');
    return tf.tidy(() => {
      const { output: teacherLogits } = frozenRun(teacher, ctx.batch.x);
      return loss(ctx.output, teacherLogits, ctx.batch.y);
    });
  };
}
