import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';
import type { Param } from '../param';
import { type Flat, withValues } from '../util/tensor-values';

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

/**
 * The state an optimizer keeps per param: tensors (SGD's momentum buffer) or plain float32 arrays
 * that its update rewrites in place (Adam's moments).
 */
type SlotState = readonly tf.Tensor[] | readonly Float32Array[];

const disposeState = (st: SlotState | undefined): void => {
  for (const s of st ?? []) if (s instanceof tf.Tensor) s.dispose();
};

abstract class BaseOptimizer implements Optimizer {
  readonly lrMultipliers = new Map<string, number>();
  protected readonly state = new Map<string, SlotState>();
  /** The shape each param had when its state was made (a new shape resets it). */
  private readonly shapes = new Map<string, readonly number[]>();
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
      const was = this.shapes.get(p.name);
      if (st && (!was || was.length !== p.shape.length || was.some((d, i) => d !== p.shape[i]))) {
        this.reset(p.name);
        st = undefined;
      }
      const count = (this.counts.get(p.name) ?? 0) + 1;
      this.counts.set(p.name, count);
      const lr = this.lr * (this.lrMultipliers.get(p.name) ?? 1);
      const gd = this.weightDecay > 0 ? tf.tidy(() => tf.add(g, tf.mul(p.value, this.weightDecay))) : g;
      let next: { value: tf.Tensor; state: SlotState };
      try {
        next = this.update(p.value, gd, st, lr, count);
      } finally {
        if (gd !== g) gd.dispose();
      }
      if (next.state !== st) disposeState(st);
      this.state.set(p.name, next.state);
      this.shapes.set(p.name, [...p.shape]);
      p.value.assign(next.value);
      next.value.dispose();
    }
  }

  /**
   * Returns the new value and the state to keep: new tensors, or `state` itself when the update
   * rewrote its arrays in place. Disposes every other tensor it makes (it runs outside a tidy).
   */
  protected abstract update(w: tf.Tensor, g: tf.Tensor, state: SlotState | undefined, lr: number, count: number): { value: tf.Tensor; state: SlotState };

  reset(name?: string): void {
    if (name === undefined) {
      for (const s of this.state.values()) disposeState(s);
      this.state.clear();
      this.shapes.clear();
      this.counts.clear();
    } else {
      this.counts.delete(name);
      disposeState(this.state.get(name));
      this.state.delete(name);
      this.shapes.delete(name);
    }
  }

  dispose(): void {
    this.reset();
  }
}

/**
 * One Adam update of `n` values: the moments `m`, `v` in place (from zero when `fresh`), the
 * new weights into `out`. Float64 arithmetic, float32 results. A plain function of typed arrays
 * (V8 optimizes it once; the per-step closure it replaced ran ~2x slower).
 */
function adamUpdate(w: Flat, g: Flat, m: Float32Array, v: Float32Array, out: Float32Array, fresh: boolean, lr: number, b1: number, b2: number, c1: number, c2: number, eps: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const mi = (fresh ? 0 : b1 * m[i]!) + (1 - b1) * gi;
    const vi = (fresh ? 0 : b2 * v[i]!) + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    out[i] = w[i]! - lr * (mi / c1) / (Math.sqrt(vi / c2) + eps);
  }
}

/**
 * Adam as one pass over each param's values (read in place on wasm, see `withValues`), its
 * moments kept as float32 arrays rewritten in place: the tensor-op form launched ~14 small
 * kernels per param per step, and moments as tensors cost two allocations and uploads per
 * param per step.
 */
class Adam extends BaseOptimizer {
  constructor(lr: number, private readonly b1: number, private readonly b2: number, private readonly eps: number, wd: number) {
    super(lr, wd);
  }

  protected update(w: tf.Tensor, g: tf.Tensor, state: SlotState | undefined, lr: number, tn: number) {
    const n = w.size;
    const value = new Float32Array(n);
    const fresh = !state;
    const [m, v] = (state ?? [new Float32Array(n), new Float32Array(n)]) as readonly Float32Array[];
    const { b1, b2, eps } = this;
    withValues(w, (wv) => withValues(g, (gv) => adamUpdate(wv, gv, m!, v!, value, fresh, lr, b1, b2, 1 - b1 ** tn, 1 - b2 ** tn, eps)));
    return { value: tf.tensor(value, w.shape, 'float32'), state: state ?? [m!, v!] };
  }
}

class Sgd extends BaseOptimizer {
  constructor(lr: number, private readonly momentum: number, private readonly nesterov: boolean, wd: number) {
    super(lr, wd);
    if (momentum < 0 || momentum >= 1) throw new ConfigError(`momentum must be in [0, 1), got ${momentum}`);
  }

  protected update(w: tf.Tensor, g: tf.Tensor, state: SlotState | undefined, lr: number) {
    return tf.tidy(() => {
      if (this.momentum === 0) return { value: tf.sub(w, tf.mul(g, lr)), state: [] };
      const buf0 = (state?.[0] as tf.Tensor | undefined) ?? tf.zerosLike(w);
      const buf = tf.add(tf.mul(buf0, this.momentum), g);
      const d = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
      return { value: tf.sub(w, tf.mul(d, lr)), state: [buf] };
    });
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
