import * as tf from '@tensorflow/tfjs-core';
import { initialValue, Param, ShapeError } from '@bonsai/core';
import { checkMinRank, checkSameShape } from './validate';

/** Options of {@link HintAdapter}. */
export interface HintAdapterOptions {
  /** Seed of the (Glorot-uniform) kernel initialization (default 0). */
  seed?: number;
  /** Learn a bias too (default true). */
  useBias?: boolean;
}

/**
 * FitNets' regressor: a learned 1x1 convolution (a dense map over the channel axis, NHWC) that
 * maps student features of `inChannels` to the teacher's `outChannels`. Its weights are core
 * {@link Param}s named `${name}/kernel` and `${name}/bias`, so core optimizers update them like
 * model params; {@link Distiller} differentiates them in the same `tf.variableGrads` call as the
 * student's params.
 */
export class HintAdapter {
  /** Kernel `[inChannels, outChannels]`. */
  readonly kernel: Param;
  /** Bias `[outChannels]` (absent with `useBias: false`). */
  readonly bias: Param | undefined;

  constructor(
    /** Param name prefix, e.g. `hint:conv2->conv4`. */
    readonly name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    options: HintAdapterOptions = {},
  ) {
    for (const [what, c] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(c) || c < 1) throw new ShapeError(`HintAdapter "${name}": ${what} must be a positive integer, got ${c}`);
    }
    const k = initialValue('glorotUniform', [inChannels, outChannels], options.seed ?? 0, `${name}/kernel`);
    this.kernel = new Param(`${name}/kernel`, k);
    k.dispose();
    if (options.useBias ?? true) {
      const b = tf.zeros([outChannels]);
      this.bias = new Param(`${name}/bias`, b);
      b.dispose();
    }
  }

  /** The adapter's trainable params. */
  get params(): Param[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }

  /** Maps `[..., inChannels]` features to `[..., outChannels]`. */
  apply(x: tf.Tensor): tf.Tensor {
    checkMinRank(`HintAdapter "${this.name}"`, x, 2);
    const c = x.shape[x.rank - 1]!;
    if (c !== this.inChannels) throw new ShapeError(`HintAdapter "${this.name}" expects ${this.inChannels} channels, got shape [${x.shape.join(', ')}]`);
    return tf.tidy(() => {
      let y = tf.matMul(tf.reshape(x, [-1, c]) as tf.Tensor2D, this.kernel.value as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias.value);
      return tf.reshape(y, [...x.shape.slice(0, -1), this.outChannels]);
    });
  }

  /** Frees the adapter's params. */
  dispose(): void {
    for (const p of this.params) p.dispose();
  }
}

/**
 * FitNets hint loss (Romero et al.): mean squared error between the (adapted) student feature
 * and the teacher feature. Pass `adapter` when channel counts differ; all other axes must match.
 * @throws ShapeError when the shapes do not match after adaptation.
 */
export function hintLoss(student: tf.Tensor, teacher: tf.Tensor, adapter?: HintAdapter): tf.Scalar {
  return tf.tidy(() => {
    const s = adapter ? adapter.apply(student) : student;
    checkSameShape('hintLoss', s, teacher, [adapter ? 'adapted student feature' : 'student feature', 'teacher feature']);
    return tf.mean(tf.squaredDifference(s, teacher)) as tf.Scalar;
  });
}
