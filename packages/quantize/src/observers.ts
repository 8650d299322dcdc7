import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, type Param, type Rng, ShapeError } from '@bonsai/core';
import { detectGridStep } from './grid-step';
import { channelLayout, computeQParams, dequantizeArray, quantizeArray, roundHalfEven, type QParams } from './qparams';
import type { ResolvedScheme } from './scheme';

/**
 * Records the range of the tensors it sees and turns it into quantization parameters
 * (torch.ao.quantization observers). Per-channel observers reduce over every axis but `axis`.
 */
export interface Observer {
  /** Kind of observer, as in {@link ObserverSpec}. */
  readonly kind: ObserverKind;
  /** Number of tensors observed so far. */
  readonly count: number;
  /** Records one tensor (not disposed). */
  observe(x: tf.Tensor): void;
  /** Quantization parameters for what was observed; throws when nothing was observed. */
  qparams(): QParams;
  /** Forgets everything observed. */
  reset(): void;
}

/**
 * Observer kinds: running min/max, moving-average min/max, percentile clipping, MSE-optimal
 * clipping, KL (entropy) clipping, and `grid`: min/max that keeps an existing uniform grid (weights
 * that were already quantized, e.g. by the tfjs converter, then folded) when it fits the integer range.
 */
export type ObserverKind = 'minmax' | 'movingAverage' | 'percentile' | 'mse' | 'kl' | 'grid';

/** An observer kind plus its options. */
export interface ObserverSpec {
  kind: ObserverKind;
  /** movingAverage: weight of the new batch (default 0.01, torch's averaging_constant). */
  averagingConstant?: number;
  /** percentile: upper percentile kept, in (50, 100] (default 99.99). */
  percentile?: number;
  /** percentile / mse: values kept in the seeded reservoir sample per channel (default 65536). */
  sampleSize?: number;
  /** mse: number of candidate clipping ratios searched between `minRatio` and 1 (default 100). */
  steps?: number;
  /** mse: smallest clipping ratio tried (default 0.2). */
  minRatio?: number;
  /** Seed of the reservoir sample (default 0). */
  seed?: number;
  /** kl: histogram bins over [0, max |x|] (default 2048, TensorRT's). */
  bins?: number;
}

/** Reduced min/max per channel as plain arrays (one device read). */
function batchMinMax(x: tf.Tensor, axis: number | undefined): { min: Float32Array; max: Float32Array } {
  if (axis !== undefined && axis >= x.rank) throw new ConfigError(`observer axis ${axis} is out of range for a rank-${x.rank} tensor`, { axis });
  const [lo, hi] = tf.tidy(() => {
    const axes = x.shape.map((_, i) => i).filter((i) => i !== axis);
    return [tf.min(x, axes), tf.max(x, axes)];
  });
  const min = lo!.dataSync() as Float32Array;
  const max = hi!.dataSync() as Float32Array;
  lo!.dispose();
  hi!.dispose();
  return { min, max };
}

abstract class RangeObserver implements Observer {
  abstract readonly kind: ObserverKind;
  count = 0;
  protected min: Float64Array | undefined;
  protected max: Float64Array | undefined;

  constructor(protected readonly scheme: ResolvedScheme, readonly name: string) {}

  protected get axis(): number | undefined {
    return this.scheme.perChannel ? this.scheme.axis : undefined;
  }

  abstract observe(x: tf.Tensor): void;

  protected checkChannels(n: number): void {
    if (this.min && this.min.length !== n) {
      throw new ShapeError(`observer "${this.name}": saw ${n} channels after ${this.min.length}`);
    }
  }

  /**
   * Folds one batch's per-channel min/max into the running range: the first batch initializes it,
   * later ones combine with `mergeMin` / `mergeMax` (running value, batch value).
   */
  protected accumulate(x: tf.Tensor, mergeMin: (running: number, batch: number) => number, mergeMax: (running: number, batch: number) => number): void {
    const b = batchMinMax(x, this.axis);
    this.checkChannels(b.min.length);
    if (!this.min || !this.max) {
      this.min = Float64Array.from(b.min);
      this.max = Float64Array.from(b.max);
    } else {
      for (let c = 0; c < b.min.length; c++) {
        this.min[c] = mergeMin(this.min[c]!, b.min[c]!);
        this.max[c] = mergeMax(this.max[c]!, b.max[c]!);
      }
    }
    this.count++;
  }

  protected ensureObserved(): void {
    if (!this.min || !this.max || this.count === 0) {
      throw new ConfigError(`observer "${this.name}" has seen no data: calibrate with at least one batch first`, { observer: this.name }, { code: 'QUANTIZE' });
    }
  }

  qparams(): QParams {
    this.ensureObserved();
    return computeQParams(this.min!, this.max!, this.scheme, this.axis);
  }

  reset(): void {
    this.count = 0;
    this.min = undefined;
    this.max = undefined;
  }
}

/** Running minimum and maximum (torch MinMaxObserver / PerChannelMinMaxObserver). */
export class MinMaxObserver extends RangeObserver {
  readonly kind = 'minmax';

  observe(x: tf.Tensor): void {
    this.accumulate(x, Math.min, Math.max);
  }
}

/**
 * Min/max per channel, unless the channel's values already sit on a uniform grid through zero
 * that the integer range holds (weights quantized before: a tfjs `--quantize_uint8` model's
 * `(q - zeroPoint) * scale` kernels, per output channel still after batch-norm folding multiplied
 * each channel by its own factor); then the grid's step is the scale, so re-quantization does not
 * round a second time. Per channel, whichever of the two scales reconstructs the observed values
 * with the smaller squared error wins. Keeps every observed value (meant for weights, observed once).
 */
export class GridObserver extends RangeObserver {
  readonly kind = 'grid';
  private values: Float32Array[] = [];
  private shapes: number[][] = [];

  observe(x: tf.Tensor): void {
    this.accumulate(x, Math.min, Math.max);
    this.values.push(x.dataSync() as Float32Array);
    this.shapes.push(x.shape);
  }

  override qparams(): QParams {
    const qp = super.qparams();
    const { qmin, qmax, symmetric } = this.scheme;
    const channels = qp.scale.length;
    const perChannel: number[][] = Array.from({ length: channels }, () => []);
    this.values.forEach((vals, j) => {
      const { inner } = channelLayout(this.shapes[j]!, this.axis);
      for (let i = 0; i < vals.length; i++) perChannel[channels === 1 ? 0 : Math.floor(i / inner) % channels]!.push(vals[i]!);
    });
    const levels = symmetric ? 2 * (2 ** (this.scheme.bits - 1) - 1) : qmax - qmin;
    for (let c = 0; c < channels; c++) {
      const vals = perChannel[c]!;
      const g = Math.fround(detectGridStep(vals, levels));
      if (!(g > 0)) continue;
      const zp = symmetric ? qp.zeroPoint[c]! : Math.min(qmax, Math.max(qmin, Math.round(qmin - Math.min(this.min![c]!, 0) / g)));
      if (squaredError(vals, g, zp, qmin, qmax) < squaredError(vals, qp.scale[c]!, qp.zeroPoint[c]!, qmin, qmax)) {
        qp.scale[c] = g;
        qp.zeroPoint[c] = zp;
      }
    }
    return qp;
  }

  override reset(): void {
    super.reset();
    this.values = [];
    this.shapes = [];
  }
}

/** Sum of squared errors of quantizing `values` with one scale and zero point (clamped to [qmin, qmax]). */
function squaredError(values: readonly number[], scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  let e = 0;
  for (const v of values) {
    const q = Math.min(qmax, Math.max(qmin, roundHalfEven(v / scale) + zeroPoint));
    const d = (q - zeroPoint) * scale - v;
    e += d * d;
  }
  return e;
}

/** Exponential moving average of batch min/max (torch MovingAverageMinMaxObserver; QAT default). */
export class MovingAverageMinMaxObserver extends RangeObserver {
  readonly kind = 'movingAverage';

  constructor(scheme: ResolvedScheme, name: string, readonly averagingConstant = 0.01) {
    super(scheme, name);
    if (!(averagingConstant > 0 && averagingConstant <= 1)) {
      throw new ConfigError(`observer "${name}": averagingConstant must be in (0, 1], got ${averagingConstant}`);
    }
  }

  observe(x: tf.Tensor): void {
    const c0 = this.averagingConstant;
    const ema = (running: number, batch: number): number => running + c0 * (batch - running);
    this.accumulate(x, ema, ema);
  }
}

/** Seeded reservoir samples (Algorithm R), one per channel, plus the exact min/max. */
abstract class SampleObserver extends RangeObserver {
  protected samples: Float32Array[] = [];
  protected seen: number[] = [];
  private rng: Rng;

  constructor(scheme: ResolvedScheme, name: string, protected readonly sampleSize = 65536, private readonly seed = 0) {
    super(scheme, name);
    if (!Number.isInteger(sampleSize) || sampleSize < 16) throw new ConfigError(`observer "${name}": sampleSize must be an integer >= 16, got ${sampleSize}`);
    this.rng = createRng(seed);
  }

  observe(x: tf.Tensor): void {
    const axis = this.axis;
    if (axis !== undefined && axis >= x.rank) throw new ConfigError(`observer axis ${axis} is out of range for a rank-${x.rank} tensor`, { axis });
    const values = x.dataSync() as Float32Array;
    const { channels, inner } = channelLayout(x.shape, axis);
    this.checkChannels(channels);
    if (!this.min || !this.max) {
      this.min = new Float64Array(channels).fill(Infinity);
      this.max = new Float64Array(channels).fill(-Infinity);
      this.samples = Array.from({ length: channels }, () => new Float32Array(this.sampleSize));
      this.seen = new Array<number>(channels).fill(0);
    }
    for (let i = 0; i < values.length; i++) {
      const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
      const v = values[i]!;
      if (v < this.min[c]!) this.min[c] = v;
      if (v > this.max[c]!) this.max[c] = v;
      const t = this.seen[c]!;
      if (t < this.sampleSize) this.samples[c]![t] = v;
      else {
        const j = Math.floor(this.rng() * (t + 1));
        if (j < this.sampleSize) this.samples[c]![j] = v;
      }
      this.seen[c] = t + 1;
    }
    this.count++;
  }

  protected sample(c: number): Float32Array {
    return this.samples[c]!.subarray(0, Math.min(this.seen[c]!, this.sampleSize));
  }

  override reset(): void {
    super.reset();
    this.samples = [];
    this.seen = [];
    this.rng = createRng(this.seed);
  }

  override qparams(): QParams {
    this.ensureObserved();
    const n = this.min!.length;
    const lo = new Float64Array(n);
    const hi = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      const [a, b] = this.channelRange(c);
      lo[c] = a;
      hi[c] = b;
    }
    return computeQParams(lo, hi, this.scheme, this.axis);
  }

  /** Clipping range chosen for channel `c`. */
  protected abstract channelRange(c: number): [number, number];
}

function quantile(sorted: Float32Array, p: number): number {
  if (sorted.length === 0) return 0;
  const pos = (p / 100) * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return sorted[i]! + (i + 1 < sorted.length ? f * (sorted[i + 1]! - sorted[i]!) : 0);
}

/**
 * Clips to a percentile of the observed values (of |x| when symmetric): outliers saturate, the
 * bulk gets a finer step.
 */
export class PercentileObserver extends SampleObserver {
  readonly kind = 'percentile';

  constructor(scheme: ResolvedScheme, name: string, readonly percentile = 99.99, sampleSize?: number, seed?: number) {
    super(scheme, name, sampleSize, seed);
    if (!(percentile > 50 && percentile <= 100)) throw new ConfigError(`observer "${name}": percentile must be in (50, 100], got ${percentile}`);
  }

  protected channelRange(c: number): [number, number] {
    const s = this.sample(c);
    if (this.scheme.symmetric) {
      const abs = Float32Array.from(s, Math.abs).sort();
      const m = quantile(abs, this.percentile);
      return [-m, m];
    }
    const sorted = Float32Array.from(s).sort();
    return [quantile(sorted, 100 - this.percentile), quantile(sorted, this.percentile)];
  }
}

/**
 * Searches the clipping range that minimizes the mean squared quantization error over the
 * sampled values: the observed range scaled by ratios from `minRatio` to 1.
 */
export class MseObserver extends SampleObserver {
  readonly kind = 'mse';

  constructor(scheme: ResolvedScheme, name: string, readonly steps = 100, readonly minRatio = 0.2, sampleSize?: number, seed?: number) {
    super(scheme, name, sampleSize, seed);
    if (!Number.isInteger(steps) || steps < 1) throw new ConfigError(`observer "${name}": steps must be a positive integer, got ${steps}`);
    if (!(minRatio > 0 && minRatio <= 1)) throw new ConfigError(`observer "${name}": minRatio must be in (0, 1], got ${minRatio}`);
  }

  protected channelRange(c: number): [number, number] {
    const s = this.sample(c);
    const one = { ...this.scheme, perChannel: false, axis: undefined };
    let best: [number, number] = [this.min![c]!, this.max![c]!];
    let bestErr = Infinity;
    for (let k = 0; k <= this.steps; k++) {
      const r = 1 - ((1 - this.minRatio) * k) / this.steps;
      const lo = this.min![c]! * r;
      const hi = this.max![c]! * r;
      const qp = computeQParams([lo], [hi], one);
      const dq = dequantizeArray(quantizeArray(s, [s.length], qp), [s.length], qp);
      let err = 0;
      for (let i = 0; i < s.length; i++) err += (s[i]! - dq[i]!) ** 2;
      if (err < bestErr) {
        bestErr = err;
        best = [lo, hi];
      }
    }
    return best;
  }
}

/**
 * KL-divergence (entropy) calibration, TensorRT style (Migacz 2017, "8-bit Inference with
 * TensorRT"): histograms |x| into `bins` bins; for each candidate threshold bin i (from the number
 * of quantization levels up) the reference P is the first i bins with the tail folded into the
 * last, Q is P merged into the quantization levels and spread back over P's non-empty bins; the
 * threshold minimizing KL(P || Q) wins. Non-negative data (after ReLU) uses all levels on
 * [0, T]; signed data uses half of them per side on [-T, T].
 */
export class KlObserver extends SampleObserver {
  readonly kind = 'kl';

  constructor(scheme: ResolvedScheme, name: string, readonly bins = 2048, sampleSize?: number, seed?: number) {
    super(scheme, name, sampleSize, seed);
    if (!Number.isInteger(bins) || bins < 16) throw new ConfigError(`observer "${name}": bins must be an integer >= 16, got ${bins}`);
  }

  protected channelRange(c: number): [number, number] {
    const lo = this.min![c]!;
    const hi = this.max![c]!;
    const oneSided = lo >= 0 && !this.scheme.symmetric;
    const levels = this.scheme.qmax - this.scheme.qmin + 1;
    const t = klThreshold(this.sample(c), Math.max(Math.abs(lo), Math.abs(hi)), this.bins, oneSided ? levels : Math.floor(levels / 2));
    return oneSided ? [0, Math.min(hi, t)] : [Math.max(lo, -t), Math.min(hi, t)];
  }
}

/** Threshold on |x| minimizing KL(P || Q) between the clipped histogram and its `levels`-level quantization. */
export function klThreshold(values: ArrayLike<number>, amax: number, bins: number, levels: number): number {
  if (!(amax > 0) || values.length === 0) return amax;
  const hist = new Float64Array(bins);
  const width = amax / bins;
  for (let k = 0; k < values.length; k++) hist[Math.min(bins - 1, Math.floor(Math.abs(values[k]!) / width))]! += 1;
  if (levels >= bins) return amax;
  let best = bins;
  let bestKl = Infinity;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  let tail = 0;
  for (let k = levels; k < bins; k++) tail += hist[k]!;
  for (let i = levels; i <= bins; i++) {
    // P: the first i bins, the clipped tail folded into the last one.
    for (let k = 0; k < i; k++) p[k] = hist[k]!;
    p[i - 1]! += tail;
    tail -= i < bins ? hist[i]! : 0;
    // Q: the unclipped bins merged into `levels` groups, each group's mass spread over P's
    // non-empty bins (as TensorRT / MXNet: the folded tail is what Q cannot represent).
    for (let j = 0; j < levels; j++) {
      const start = Math.floor((j * i) / levels);
      const stop = Math.floor(((j + 1) * i) / levels);
      let mass = 0;
      let nonEmpty = 0;
      for (let k = start; k < stop; k++) {
        mass += hist[k]!;
        if (p[k]! > 0) nonEmpty++;
      }
      for (let k = start; k < stop; k++) q[k] = p[k]! > 0 ? mass / nonEmpty : 0;
    }
    let sp = 0;
    let sq = 0;
    for (let k = 0; k < i; k++) {
      sp += p[k]!;
      sq += q[k]!;
    }
    let kl = 0;
    // An empty Q bin under P mass is smoothed (1e-10), not infinite.
    for (let k = 0; k < i; k++) if (p[k]! > 0) kl += (p[k]! / sp) * Math.log((p[k]! / sp) / Math.max(q[k]! / sq, 1e-10));
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best * width;
}

/** Builds an observer for a tensor named `name` (node or param) quantized with `scheme`. */
export function createObserver(spec: ObserverSpec | ObserverKind, scheme: ResolvedScheme, name: string): Observer {
  const s: ObserverSpec = typeof spec === 'string' ? { kind: spec } : spec;
  switch (s.kind) {
    case 'minmax':
      return new MinMaxObserver(scheme, name);
    case 'movingAverage':
      return new MovingAverageMinMaxObserver(scheme, name, s.averagingConstant);
    case 'percentile':
      return new PercentileObserver(scheme, name, s.percentile, s.sampleSize, s.seed);
    case 'mse':
      return new MseObserver(scheme, name, s.steps, s.minRatio, s.sampleSize, s.seed);
    case 'kl':
      return new KlObserver(scheme, name, s.bins, s.sampleSize, s.seed);
    case 'grid':
      return new GridObserver(scheme, name);
    default:
      throw new ConfigError(`unknown observer ${JSON.stringify((s as { kind: unknown }).kind)} for "${name}": use "minmax", "movingAverage", "percentile", "mse", "kl" or "grid"`);
  }
}

/**
 * Quantization parameters of one weight: a fresh observer of `spec` fed `param`'s effective value
 * (a copy, disposed after) once. What dynamic, static/QAT conversion and mixed precision share.
 */
export function observeWeight(param: Param, spec: ObserverSpec | ObserverKind, scheme: ResolvedScheme, name: string): QParams {
  const obs = createObserver(spec, scheme, name);
  const eff = tf.tidy(() => tf.clone(param.effective()));
  try {
    obs.observe(eff);
  } finally {
    eff.dispose();
  }
  return obs.qparams();
}
