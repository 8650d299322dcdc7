import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';
import type { Param } from '../param';
import { withValues } from '../util/tensor-values';

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

/**
 * Adam as one pass over each param's values (read in place on wasm, see `withValues`): the
 * tensor-op form launched ~14 small kernels per param per step (plus a scalar per constant),
 * whose engine overhead cost more than the arithmetic. Float64 arithmetic, float32 results.
 */
class Adam extends BaseOptimizer {
  constructor(lr: number, private readonly b1: number, private readonly b2: number, private readonly eps: number, wd: number) {
    super(lr, wd);
  }

  protected update(w: tf.Tensor, g: tf.Tensor, state: tf.Tensor[] | undefined, lr: number, tn: number) {
    const n = w.size;
    const value = new Float32Array(n);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const { b1, b2, eps } = this;
    const c1 = 1 - b1 ** tn;
    const c2 = 1 - b2 ** tn;
    // Without state, m and v start at 0 (w stands in for the missing views and is not read).
    const fresh = !state;
    withValues(w, (wv) => withValues(g, (gv) => withValues(state?.[0] ?? w, (mv) => withValues(state?.[1] ?? w, (vv) => {
      for (let i = 0; i < n; i++) {
        const gi = gv[i]!;
        const mi = (fresh ? 0 : b1 * mv[i]!) + (1 - b1) * gi;
        const vi = (fresh ? 0 : b2 * vv[i]!) + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        value[i] = wv[i]! - lr * (mi / c1) / (Math.sqrt(vi / c2) + eps);
      }
    }))));
    const shape = w.shape;
    return { value: tf.tensor(value, shape, 'float32'), state: [tf.tensor(m, shape, 'float32'), tf.tensor(v, shape, 'float32')] };
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
