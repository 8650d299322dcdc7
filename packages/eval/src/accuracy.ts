import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, ConfigError, ShapeError, type Model } from '@bonsai/core';

/** One labelled mini-batch: `y` is one-hot `[b, classes]` or integer labels `[b]`. */
export interface LabeledBatch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** Options of {@link accuracy} and {@link topK}. */
export interface AccuracyOptions {
  /** Samples per forward pass when `x`/`y` are whole tensors (default 256). */
  batchSize?: number;
  /** Dispose each batch of an iterable after use, as `train` does (default true). */
  disposeBatches?: boolean;
}

/** Data to score: whole tensors (batched here) or an iterable of batches. */
export type EvalData = LabeledBatch | Iterable<LabeledBatch>;

/**
 * Top-1 accuracy (fraction in 0..1) of a classifier whose first output is `[b, classes]`
 * logits or probabilities. `y` holds one-hot rows `[n, classes]` or integer labels `[n]`.
 * Runs in inference mode, `batchSize` samples at a time; creates no lasting tensors.
 * @throws BonsaiError (`DATA`) when x and y disagree on the sample count or there are no samples;
 *   ShapeError when y does not fit the model's output.
 */
export function accuracy(model: Model, x: tf.Tensor, y: tf.Tensor, options?: AccuracyOptions): number;
/** Top-1 accuracy over an iterable of `{ x, y }` batches (disposed after use unless `disposeBatches: false`). */
export function accuracy(model: Model, batches: Iterable<LabeledBatch>, options?: AccuracyOptions): number;
export function accuracy(model: Model, a: tf.Tensor | Iterable<LabeledBatch>, b?: tf.Tensor | AccuracyOptions, c?: AccuracyOptions): number {
  const { data, options } = a instanceof tf.Tensor ? { data: { x: a, y: b as tf.Tensor }, options: c } : { data: a, options: b as AccuracyOptions | undefined };
  return topKAccuracies(model, data, [1], options)[0]!;
}

/**
 * Top-k accuracy: the fraction of samples whose label is among the `k` highest outputs.
 * Same data forms and errors as {@link accuracy}; `k` must be an integer in 1..classes.
 */
export function topK(model: Model, x: tf.Tensor, y: tf.Tensor, k: number, options?: AccuracyOptions): number;
/** Top-k accuracy over an iterable of `{ x, y }` batches. */
export function topK(model: Model, batches: Iterable<LabeledBatch>, k: number, options?: AccuracyOptions): number;
export function topK(model: Model, a: tf.Tensor | Iterable<LabeledBatch>, b: tf.Tensor | number, c?: number | AccuracyOptions, d?: AccuracyOptions): number {
  if (a instanceof tf.Tensor) return topKAccuracies(model, { x: a, y: b as tf.Tensor }, [c as number], d)[0]!;
  return topKAccuracies(model, a, [b as number], c as AccuracyOptions | undefined)[0]!;
}

/**
 * Top-k accuracy for several `ks` in one pass over the data (e.g. `[1, 5]`).
 * Same data forms and errors as {@link accuracy}.
 */
export function topKAccuracies(model: Model, data: EvalData, ks: readonly number[], options: AccuracyOptions = {}): number[] {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`accuracy: batchSize must be a positive integer, got ${batchSize}`, { batchSize });
  if (ks.length === 0) throw new ConfigError('accuracy: ks must not be empty');
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new ConfigError(`accuracy: k must be a positive integer, got ${k}`, { k });
  const correct = new Array<number>(ks.length).fill(0);
  let total = 0;
  const score = (x: tf.Tensor, y: tf.Tensor): void => {
    checkPair(x, y);
    const counts = tf.tidy(() => {
      const out = model.forward(x);
      const classes = checkOutput(out, y);
      const labels = y.rank === 2 ? tf.argMax(y, 1) : tf.cast(y, 'int32');
      return tf.stack(ks.map((k) => {
        if (k > classes) throw new ConfigError(`accuracy: k = ${k} exceeds the ${classes} classes of the model output`, { k });
        const hit = k === 1 ? tf.equal(tf.argMax(out, 1), labels) : tf.any(tf.equal(tf.topk(out, k).indices, tf.expandDims(labels, 1)), 1);
        return tf.sum(tf.cast(hit, 'float32'));
      }));
    });
    const v = counts.dataSync();
    counts.dispose();
    ks.forEach((_, i) => (correct[i]! += v[i]!));
    total += x.shape[0]!;
  };
  if (isLabeledBatch(data)) {
    checkPair(data.x, data.y);
    const n = data.x.shape[0]!;
    for (let i = 0; i < n; i += batchSize) {
      const size = Math.min(batchSize, n - i);
      if (size === n) {
        score(data.x, data.y);
        break;
      }
      const [xb, yb] = [tf.slice(data.x, [i], [size]), tf.slice(data.y, [i], [size])];
      try {
        score(xb, yb);
      } finally {
        xb.dispose();
        yb.dispose();
      }
    }
  } else {
    const dispose = options.disposeBatches ?? true;
    for (const batch of data) {
      try {
        score(batch.x, batch.y);
      } finally {
        if (dispose) {
          batch.x.dispose();
          batch.y.dispose();
        }
      }
    }
  }
  if (total === 0) throw new BonsaiError('DATA', 'accuracy: no samples to evaluate');
  return correct.map((c) => c / total);
}

function isLabeledBatch(d: EvalData): d is LabeledBatch {
  return (d as LabeledBatch).x instanceof tf.Tensor && (d as LabeledBatch).y instanceof tf.Tensor;
}

function checkPair(x: tf.Tensor, y: tf.Tensor | undefined): void {
  if (!(y instanceof tf.Tensor)) throw new BonsaiError('DATA', 'accuracy: labels y must be a tensor');
  if (x.rank < 1 || y.rank < 1 || x.shape[0] !== y.shape[0]) {
    throw new BonsaiError('DATA', `accuracy: x has ${x.shape[0] ?? 0} samples but y has ${y.shape[0] ?? 0}`, { x: x.shape, y: y.shape });
  }
  if (y.rank > 2) throw new ShapeError(`accuracy: y must be one-hot [n, classes] or labels [n], got shape [${y.shape.join(', ')}]`);
}

function checkOutput(out: tf.Tensor, y: tf.Tensor): number {
  if (out.rank !== 2) throw new ShapeError(`accuracy: the model output must be [batch, classes], got [${out.shape.join(', ')}]`);
  const classes = out.shape[1]!;
  if (y.rank === 2 && y.shape[1] !== classes) {
    throw new ShapeError(`accuracy: y has ${y.shape[1]} classes per row, the model outputs ${classes}`);
  }
  return classes;
}
