import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';
import type { Param } from '../param';

/**
 * A first-order optimizer over {@link Param}s. State is keyed by param name and is reset
 * automatically when a param's shape changes (after physical pruning).
 */
export interface Optimizer {
  /** Base learning rate (schedules overwrite it every step). */
  lr: number;
  /** Per-param learning-rate multipliers (per-group learning rates), by param name. */
  readonly lrMultipliers: Map<string, number>;
  /** Applies one update with the given gradients (by param name). */
  step(params: readonly Param[], grads: Readonly<Record<string, tf.Tensor>>): void;
  /** Drops the state of one param, or of all. */
  reset(name?: string): void;
  /** Frees all state tensors. */
  dispose(): void;
}

abstract class BaseOptimizer implements Optimizer {
  readonly lrMultipliers = new Map<string, number>();
  protected readonly state = new Map<string, tf.Tensor[]>();
  private readonly counts = new Map<string, number>();

  constructor(public lr: number, protected readonly weightDecay: number) {
    if (!(lr > 0)) throw new ConfigError(`learning rate must be > 0, got ${lr}`);
    if (weightDecay < 0) throw new ConfigError(`weightDecay must be >= 0, got ${weightDecay}`);
  }

  step(params: readonly Param[], grads: Readonly<Record<string, tf.Tensor>>): void {
    for (const p of params) {
      const g = grads[p.name];
      if (!g || !p.trainable) continue;
      let st = this.state.get(p.name);
      if (st && st.length > 0 && (st[0]!.shape.length !== p.shape.length || st[0]!.shape.some((d, i) => d !== p.shape[i]))) {
        st.forEach((s) => s.dispose());
        st = undefined;
        this.counts.delete(p.name);
      }
      const count = (this.counts.get(p.name) ?? 0) + 1;
      this.counts.set(p.name, count);
      const lr = this.lr * (this.lrMultipliers.get(p.name) ?? 1);
      const next = tf.tidy(() => {
        const gd = this.weightDecay > 0 ? tf.add(g, tf.mul(p.value, this.weightDecay)) : g;
        return this.update(p.value, gd, st, lr, count);
      });
      st?.forEach((s) => s.dispose());
      this.state.set(p.name, next.state);
      p.value.assign(next.value);
      next.value.dispose();
    }
  }

  /** Returns the new value and the new state tensors (kept). */
  protected abstract update(w: tf.Tensor, g: tf.Tensor, state: tf.Tensor[] | undefined, lr: number, count: number): { value: tf.Tensor; state: tf.Tensor[] };

  reset(name?: string): void {
    if (name === undefined) {
      for (const s of this.state.values()) s.forEach((t) => t.dispose());
      this.state.clear();
      this.counts.clear();
    } else {
      this.counts.delete(name);
      this.state.get(name)?.forEach((t) => t.dispose());
      this.state.delete(name);
    }
  }

  dispose(): void {
    this.reset();
  }
}

class Adam extends BaseOptimizer {
  constructor(lr: number, private readonly b1: number, private readonly b2: number, private readonly eps: number, wd: number) {
    super(lr, wd);
  }

  protected update(w: tf.Tensor, g: tf.Tensor, state: tf.Tensor[] | undefined, lr: number, tn: number) {
    const [m0, v0] = state ?? [tf.zerosLike(w), tf.zerosLike(w)];
    const m = tf.add(tf.mul(m0!, this.b1), tf.mul(g, 1 - this.b1));
    const v = tf.add(tf.mul(v0!, this.b2), tf.mul(tf.square(g), 1 - this.b2));
    const mHat = tf.div(m, 1 - this.b1 ** tn);
    const vHat = tf.div(v, 1 - this.b2 ** tn);
    const value = tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.eps)), lr));
    return { value, state: [m, v] };
  }
}

class Sgd extends BaseOptimizer {
  constructor(lr: number, private readonly momentum: number, private readonly nesterov: boolean, wd: number) {
    super(lr, wd);
    if (momentum < 0 || momentum >= 1) throw new ConfigError(`momentum must be in [0, 1), got ${momentum}`);
  }

  protected update(w: tf.Tensor, g: tf.Tensor, state: tf.Tensor[] | undefined, lr: number) {
    if (this.momentum === 0) return { value: tf.sub(w, tf.mul(g, lr)), state: [] };
    const buf0 = state?.[0] ?? tf.zerosLike(w);
    const buf = tf.add(tf.mul(buf0, this.momentum), g);
    const d = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
    return { value: tf.sub(w, tf.mul(d, lr)), state: [buf] };
  }
}

/** Adam (Kingma & Ba) with optional L2 weight decay. */
export function adam(o: { lr?: number; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number } = {}): Optimizer {
  return new Adam(o.lr ?? 1e-3, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon ?? 1e-7, o.weightDecay ?? 0);
}

/** SGD with optional (Nesterov) momentum and L2 weight decay. */
export function sgd(o: { lr?: number; momentum?: number; nesterov?: boolean; weightDecay?: number } = {}): Optimizer {
  return new Sgd(o.lr ?? 0.01, o.momentum ?? 0, o.nesterov ?? false, o.weightDecay ?? 0);
}
