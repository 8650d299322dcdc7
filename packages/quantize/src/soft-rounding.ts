import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@bonsai/core';
import { channelLayout, type QParams } from './qparams';
import type { QuantizedTensor } from './quantized-model';

/** The rounding settings {@link adaRound} and {@link blockReconstruction} share. */
export interface RoundingOptions {
  /** Adam steps per layer or block (default 400). */
  iterations?: number;
  /** Calibration samples per step (default 16). */
  batchSize?: number;
  /** Adam learning rate on the rounding variables (default 0.01). */
  lr?: number;
  /** Weight λ of the rounding regulariser; the reconstruction loss is relative to nearest rounding's (default 0.1). */
  regularization?: number;
  /** β of the regulariser `1 - |2h - 1|^β`, annealed linearly from the first to the second value (default [20, 2]). */
  beta?: readonly [number, number];
  /** Fraction of the steps before the regulariser starts (default 0.2). */
  warmup?: number;
  /** Seed of the batch sampling (default 0). */
  seed?: number;
}

/** {@link RoundingOptions} with every default filled in. */
export type RoundingSettings = Required<Omit<RoundingOptions, 'seed'>> & { seed: number };

/** Defaults filled in; throws a ConfigError naming `fn` and the option when one is out of range. */
export function roundingSettings(fn: string, options: RoundingOptions): RoundingSettings {
  const s: RoundingSettings = {
    iterations: options.iterations ?? 400, batchSize: options.batchSize ?? 16, lr: options.lr ?? 0.01,
    regularization: options.regularization ?? 0.1, beta: options.beta ?? [20, 2], warmup: options.warmup ?? 0.2, seed: options.seed ?? 0,
  };
  const [b0, b1] = s.beta;
  for (const [name, v, ok] of [
    ['iterations', s.iterations, Number.isInteger(s.iterations) && s.iterations >= 1], ['batchSize', s.batchSize, Number.isInteger(s.batchSize) && s.batchSize >= 1],
    ['lr', s.lr, s.lr > 0], ['regularization', s.regularization, s.regularization >= 0], ['warmup', s.warmup, s.warmup >= 0 && s.warmup < 1], ['beta', b0, b0 > 0 && b1 > 0],
  ] as const) {
    if (!ok) throw new ConfigError(`${fn}: ${name} ${String(v)} is out of range`, { option: name });
  }
  return s;
}

/** β of the regulariser at step `t`, or undefined during the warm-up (no regulariser yet). */
export function annealedBeta(s: RoundingSettings, t: number): number | undefined {
  const progress = (t / s.iterations - s.warmup) / (1 - s.warmup);
  if (progress < 0 || s.regularization === 0) return undefined;
  return s.beta[0] + (s.beta[1] - s.beta[0]) * progress;
}

/** Stretch of the rectified sigmoid (Louizos et al. 2018), as in the AdaRound paper. */
const ZETA = 1.1;
const GAMMA = -0.1;

/** h(V) = clip(sigmoid(V) (ζ - γ) + γ, 0, 1). */
const rectified = (v: tf.Tensor): tf.Tensor => tf.clipByValue(tf.add(tf.mul(tf.sigmoid(v), ZETA - GAMMA), GAMMA), 0, 1);

/** Per-element scale and zero point of `qp` laid out as `shape` (broadcast along its axis). */
function perElement(shape: readonly number[], qp: QParams): { scale: Float32Array; zero: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const { channels, inner } = channelLayout(shape, qp.axis);
  const scale = new Float32Array(n);
  const zero = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    scale[i] = qp.scale[c]!;
    zero[i] = qp.zeroPoint[c]!;
  }
  return { scale, zero };
}

/**
 * One weight's learnable rounding (AdaRound): the integer is `floor(w / s) + h(V)`, V a variable
 * initialised so that h(V) is the fractional part (the soft weight starts at w). Dispose when done.
 */
export class SoftRounding {
  readonly v: tf.Variable;
  private readonly s: tf.Tensor;
  private readonly z: tf.Tensor;
  private readonly wFloor: tf.Tensor;
  /** The nearest-rounded weight (the integers of `q` dequantized). */
  readonly nearest: tf.Tensor;

  constructor(w: tf.Tensor, readonly q: QuantizedTensor) {
    const { scale, zero } = perElement(q.shape, q.qparams);
    const shape = [...q.shape];
    this.s = tf.tensor(scale, shape);
    this.z = tf.tensor(zero, shape);
    this.wFloor = tf.tidy(() => tf.floor(tf.div(w, this.s)));
    const init = tf.tidy(() => {
      const rest = tf.clipByValue(tf.sub(tf.div(w, this.s), this.wFloor), 0.01, 0.99);
      const p = tf.div(tf.sub(rest, GAMMA), ZETA - GAMMA);
      return tf.log(tf.div(p, tf.sub(1, p)));
    });
    this.v = tf.variable(init);
    init.dispose();
    this.nearest = tf.tensor(Float32Array.from(q.values, (iv, i) => (iv - zero[i]!) * scale[i]!), shape);
  }

  private weightOf(h: tf.Tensor): tf.Tensor {
    const { qmin, qmax } = this.q.qparams;
    return tf.mul(tf.sub(tf.clipByValue(tf.add(tf.add(this.wFloor, h), this.z), qmin, qmax), this.z), this.s);
  }

  /** The soft (differentiable) weight of the current V. */
  soft(): tf.Tensor {
    return this.weightOf(rectified(this.v));
  }

  /** Mean of the regulariser `1 - |2h - 1|^β`. */
  regularizer(beta: number): tf.Tensor {
    return tf.mean(tf.sub(1, tf.pow(tf.abs(tf.sub(tf.mul(rectified(this.v), 2), 1)), beta)));
  }

  /** The hard rounding of the current V: its dequantized weight and its integers. */
  hard(): { kernel: tf.Tensor; values: Int32Array } {
    return tf.tidy(() => {
      const up = tf.cast(tf.greaterEqual(rectified(this.v), 0.5), 'float32');
      const { qmin, qmax } = this.q.qparams;
      const values = Int32Array.from(tf.clipByValue(tf.add(tf.add(this.wFloor, up), this.z), qmin, qmax).dataSync());
      return { kernel: tf.keep(this.weightOf(up)), values };
    });
  }

  /** How many integers of `values` differ from nearest rounding's. */
  changed(values: Int32Array): number {
    let n = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== this.q.values[i]) n++;
    return n;
  }

  dispose(): void {
    tf.dispose([this.s, this.z, this.wFloor, this.v, this.nearest]);
  }
}
