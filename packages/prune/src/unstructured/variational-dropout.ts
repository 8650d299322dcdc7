import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Model, Param, crossEntropy, getOp, type ForwardContext, type LossSpec, type NodeId, type Rng } from '@bonsai/core';
import { resolveTarget } from './targets';

/** Constants of Molchanov et al.'s fit of the variational-dropout KL: `-KL ≈ k1·σ(k2 + k3·log α) − ½·log(1 + 1/α) − k1`. */
export const VD_KL_CONSTANTS = { k1: 0.63576, k2: 1.8732, k3: 1.48695 } as const;

/**
 * Per-weight KL(q(w | θ, α) ‖ log-uniform prior) of sparse variational dropout, from log α, by
 * the approximation of Molchanov, Ashukha & Vetrov (ICML 2017, eq. 14):
 * `KL ≈ k1 − k1·σ(k2 + k3·log α) + ½·log(1 + e^{−log α})`. Elementwise; the caller owns the result.
 */
export function variationalKl(logAlpha: tf.Tensor): tf.Tensor {
  const { k1, k2, k3 } = VD_KL_CONSTANTS;
  return tf.tidy(() => tf.add(tf.sub(k1, tf.mul(k1, tf.sigmoid(tf.add(k2, tf.mul(k3, logAlpha))))), tf.mul(0.5, tf.softplus(tf.neg(logAlpha)))));
}

/** log α = log σ² − log θ² (additive reparameterisation), clipped to ±`clip`. The caller owns the result. */
export function logAlphaOf(theta: tf.Tensor, logSigma2: tf.Tensor, clip = 8): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.sub(logSigma2, tf.log(tf.add(tf.square(theta), 1e-8))), -clip, clip));
}

/** Options of {@link sparseVariationalDropout}. */
export interface SparseVdOptions {
  /** Params to sparsify (names or node ids; default: every prunable kernel of conv/depthwise/dense nodes). */
  params?: readonly string[];
  /** Initial log σ² of every weight (default −10: the pretrained net starts almost deterministic). */
  initLogSigma2?: number;
  /** log α is clipped to ±clip in the KL and the masks (default 8, as in the authors' code). */
  clip?: number;
  /** Seed of the local-reparameterisation noise (default 0). */
  seed?: number;
}

/** Options of {@link SparseVariationalDropout.loss}. */
export interface SparseVdLossOptions {
  /** Training-set size N: the ELBO per sample is `CE + KL / N` (required). */
  trainSize: number;
  /** KL weight ramps linearly from 0 to `klWeight` (default 1) over `warmupSteps` (default 0) steps. */
  klWeight?: number;
  warmupSteps?: number;
}

/** Which params to mask: log α above `threshold` (default 3, α > e³ ≈ 20), or the `sparsity` fraction with the largest log α over all params. */
export type SparseVdMaskOptions = { threshold?: number; sparsity?: undefined } | { sparsity: number; threshold?: undefined };

interface VdEntry {
  theta: Param;
  logSigma2: Param;
  role: string;
}

/**
 * The training view of a model under sparse variational dropout: the same graph and the same
 * Param objects (training it trains the original), with each sparsified linear node's output in
 * training mode drawn by the local reparameterisation trick: `b = f(x; θ) + sqrt(f(x²; σ²))·ε`.
 */
class VdTrainingModel extends Model {
  private readonly seen = new Map<NodeId, tf.Tensor>();
  private draws = 0;

  constructor(source: Model, private readonly entries: ReadonlyMap<NodeId, VdEntry>, private readonly noiseSeed: number) {
    super(source.graph, source.params, source.seed);
  }

  override run(...args: Parameters<Model['run']>): ReturnType<Model['run']> {
    this.seen.clear();
    try {
      return super.run(...args);
    } finally {
      this.seen.clear();
    }
  }

  protected override nodeOutput(nodeId: NodeId, value: tf.Tensor, training: boolean): tf.Tensor {
    const entry = training ? this.entries.get(nodeId) : undefined;
    let out = value;
    if (entry) {
      const node = this.graph.node(nodeId);
      const x = this.seen.get(node.inputs[0]!)!;
      out = tf.add(value, tf.mul(tf.sqrt(tf.add(outputVariance(this, node.op, nodeId, x, entry), 1e-8)), tf.randomNormal(value.shape, 0, 1, 'float32', this.noiseSeed * 1_000_003 + this.draws++)));
    }
    this.seen.set(nodeId, out);
    return out;
  }
}

/** Var of a linear node's output when each weight is N(θ, σ²) independently: `f(x²; σ², zero bias)`. */
function outputVariance(model: Model, op: string, nodeId: NodeId, x: tf.Tensor, entry: VdEntry): tf.Tensor {
  const spec = getOp(op, nodeId);
  const node = model.graph.node(nodeId);
  const params: Record<string, tf.Tensor> = {};
  for (const [role, p] of Object.entries(model.nodeParams(nodeId))) params[role] = tf.zeros(p.shape);
  const sigma2 = tf.exp(entry.logSigma2.value);
  params[entry.role] = entry.theta.mask ? tf.mul(sigma2, entry.theta.mask) : sigma2;
  const ctx: ForwardContext = { training: true, nodeId, rng: noRandom, updates: [] };
  return spec.forward([tf.square(x)], params, node.attrs, ctx);
}

const noRandom: Rng = () => {
  throw new ConfigError('sparse variational dropout: the variance pass of a linear op drew a random number');
};

/**
 * Sparse Variational Dropout (Molchanov, Ashukha & Vetrov, "Variational Dropout Sparsifies Deep
 * Neural Networks", ICML 2017): every weight gets a Gaussian posterior N(θ, σ²) with its own
 * log σ² (the additive reparameterisation, α = σ²/θ²), trained with the local reparameterisation
 * trick and the approximate KL to the log-uniform prior; weights with log α > 3 are dropped.
 * Use `model` (a training view sharing the original's params) and `logSigma2` as core
 * `train()`'s model and `extraParams`, `loss()` as its loss; then `applyMasks()` sets masks on the
 * original model. `dispose()` frees the log σ² params (the original model is untouched).
 */
export class SparseVariationalDropout {
  /** Training view: train this (it shares the original model's params). Its inference pass is the mean network. */
  readonly model: Model;
  /** The log σ² params (named `<param>.logSigma2`), to pass as `extraParams`. */
  readonly logSigma2: readonly Param[];
  private readonly entries: Map<NodeId, VdEntry>;
  private readonly clip: number;

  constructor(readonly source: Model, options: SparseVdOptions = {}) {
    const init = options.initLogSigma2 ?? -10;
    const clip = options.clip ?? 8;
    if (!Number.isFinite(init)) throw new ConfigError(`sparseVariationalDropout: initLogSigma2 must be finite, got ${String(init)}`, { option: 'initLogSigma2' });
    if (!(clip > 0)) throw new ConfigError(`sparseVariationalDropout: clip must be > 0, got ${String(clip)}`, { option: 'clip' });
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`sparseVariationalDropout: seed must be a non-negative integer, got ${String(seed)}`, { option: 'seed' });
    this.clip = clip;
    this.entries = new Map();
    for (const theta of resolveTarget(source, options.params)) {
      const spec = getOp(source.graph.node(theta.nodeId).op, theta.nodeId);
      // The local reparameterisation needs an op linear in its input and its weight, with an additive bias (conv, depthwise, dense).
      if (spec.weightParam !== theta.role || spec.foldsBatchNorm === null) {
        throw new ConfigError(`sparseVariationalDropout: param "${theta.name}" is not the weight of a linear (conv/dense) node`, { param: theta.name }, { code: 'PARAM' });
      }
      if (this.entries.has(theta.nodeId)) throw new ConfigError(`sparseVariationalDropout: node "${theta.nodeId}" given twice`, { param: theta.name }, { code: 'PARAM' });
      const init0 = tf.fill(theta.shape, init);
      this.entries.set(theta.nodeId, { theta, role: theta.role, logSigma2: new Param(`${theta.name}.logSigma2`, init0) });
      init0.dispose();
    }
    if (this.entries.size === 0) throw new ConfigError('sparseVariationalDropout: no weights to sparsify', { option: 'params' });
    this.logSigma2 = [...this.entries.values()].map((e) => e.logSigma2);
    this.model = new VdTrainingModel(source, this.entries, seed);
  }

  /** Names of the sparsified params. */
  get paramNames(): string[] {
    return [...this.entries.values()].map((e) => e.theta.name);
  }

  /** log α of one sparsified param (clipped). The caller owns the result. */
  logAlpha(name: string): tf.Tensor {
    const e = [...this.entries.values()].find((v) => v.theta.name === name);
    if (!e) throw new ConfigError(`sparseVariationalDropout: "${name}" is not a sparsified param`, { param: name }, { code: 'PARAM' });
    return tf.tidy(() => logAlphaOf(e.theta.effective(), e.logSigma2.value, this.clip));
  }

  /** Σ over every sparsified weight of the approximate KL (a scalar; differentiable in θ and log σ²). */
  kl(): tf.Scalar {
    return tf.tidy(() => tf.addN([...this.entries.values()].map((e) => tf.sum(variationalKl(logAlphaOf(e.theta.value, e.logSigma2.value, this.clip))))) as tf.Scalar);
  }

  /** The loss for core `train()`: mean cross-entropy + klWeight·KL / trainSize, the KL weight warmed up linearly. */
  loss(options: SparseVdLossOptions): LossSpec {
    const n = options.trainSize;
    const weight = options.klWeight ?? 1;
    const warmup = options.warmupSteps ?? 0;
    if (!(Number.isInteger(n) && n >= 1)) throw new ConfigError(`sparseVariationalDropout.loss: trainSize must be a positive integer, got ${String(n)}`, { option: 'trainSize' });
    if (!(weight >= 0 && Number.isFinite(weight))) throw new ConfigError(`sparseVariationalDropout.loss: klWeight must be a finite number >= 0, got ${String(weight)}`, { option: 'klWeight' });
    if (!(Number.isInteger(warmup) && warmup >= 0)) throw new ConfigError(`sparseVariationalDropout.loss: warmupSteps must be a non-negative integer, got ${String(warmup)}`, { option: 'warmupSteps' });
    return (ctx) => {
      const w = weight * (warmup > 0 ? Math.min(1, ctx.state.step / warmup) : 1);
      const ce = crossEntropy(ctx.output, ctx.batch.y);
      return w === 0 ? ce : (tf.add(ce, tf.mul(w / n, this.kl())) as tf.Scalar);
    };
  }

  /** 0/1 masks (1 = kept) by param name: log α ≤ threshold, or the given global sparsity by log α rank. The caller owns them. */
  masks(options: SparseVdMaskOptions = {}): Map<string, tf.Tensor> {
    const threshold = this.thresholdFor(options);
    const out = new Map<string, tf.Tensor>();
    for (const e of this.entries.values()) {
      out.set(e.theta.name, tf.tidy(() => tf.cast(tf.lessEqual(this.logAlpha(e.theta.name), threshold), 'float32')));
    }
    return out;
  }

  /**
   * Sets masks on the source model's params (pruned entries: log α above the threshold, combined
   * with any mask already there). Returns the fraction of the sparsified weights removed.
   */
  applyMasks(options: SparseVdMaskOptions = {}): number {
    const masks = this.masks(options);
    let zeros = 0;
    let size = 0;
    for (const e of this.entries.values()) {
      const m = masks.get(e.theta.name)!;
      const combined = e.theta.mask ? tf.mul(m, e.theta.mask) : m;
      e.theta.setMask(combined);
      zeros += e.theta.size - tf.tidy(() => tf.sum(e.theta.mask!).dataSync()[0]!);
      size += e.theta.size;
      if (combined !== m) combined.dispose();
      m.dispose();
    }
    return zeros / size;
  }

  /** Frees the log σ² params. */
  dispose(): void {
    for (const p of this.logSigma2) p.dispose();
  }

  private thresholdFor(options: SparseVdMaskOptions): number {
    if (options.sparsity === undefined) {
      const t = options.threshold ?? 3;
      if (!Number.isFinite(t)) throw new ConfigError(`sparseVariationalDropout: threshold must be finite, got ${String(t)}`, { option: 'threshold' });
      return t;
    }
    const s = options.sparsity;
    if (!(s >= 0 && s < 1)) throw new ConfigError(`sparseVariationalDropout: sparsity must be in [0, 1), got ${String(s)}`, { option: 'sparsity' });
    const all = new Float32Array(this.logSigma2.reduce((a, p) => a + p.size, 0));
    let at = 0;
    for (const name of this.paramNames) {
      const la = this.logAlpha(name);
      all.set(la.dataSync(), at);
      at += la.size;
      la.dispose();
    }
    all.sort();
    const keep = all.length - Math.round(s * all.length);
    // Keep the `keep` smallest log α: the threshold is the largest kept value (entries tied with it are kept too).
    return keep === 0 ? Number.NEGATIVE_INFINITY : all[keep - 1]!;
  }
}

/** Sets up {@link SparseVariationalDropout} on `model` (see there). */
export function sparseVariationalDropout(model: Model, options: SparseVdOptions = {}): SparseVariationalDropout {
  return new SparseVariationalDropout(model, options);
}
