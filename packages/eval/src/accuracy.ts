import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, type Model } from '@bonsai/core';
import { checkLabeledBatch, checkModel, checkTensor } from './validate';

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
 * @throws ConfigError for a non-model, missing data or bad labels (NaN, fractional, negative, out of
 *   range, all-zero one-hot rows), naming the argument; ShapeError when x, y and the model disagree
 *   on sample count or shapes; BonsaiError (`DATA`) when there are no samples.
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
  checkModel(model, 'accuracy');
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`accuracy: batchSize must be a positive integer, got ${batchSize}`, { batchSize });
  if (!Array.isArray(ks) || ks.length === 0) throw new ConfigError('accuracy: ks must be a non-empty array', { argument: 'ks' });
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new ConfigError(`accuracy: k must be a positive integer, got ${k}`, { k });
  const classes = outputClasses(model);
  for (const k of ks) if (k > classes) throw new ConfigError(`accuracy: k = ${k} exceeds the ${classes} classes of the model output`, { k });
  if (data !== null && typeof data === 'object' && 'x' in data) {
    checkTensor(data.x, 'x', 'accuracy');
    checkTensor(data.y, 'y', 'accuracy');
  }
  if (data === null || typeof data !== 'object' || (!isLabeledBatch(data) && typeof (data as Iterable<LabeledBatch>)[Symbol.iterator] !== 'function')) {
    throw new ConfigError('accuracy: data must be x and y tensors, { x, y }, or an iterable of { x, y } batches', { argument: 'data' });
  }
  const correct = new Array<number>(ks.length).fill(0);
  let total = 0;
  const score = (x: tf.Tensor, y: tf.Tensor): void => {
    checkLabeledBatch(model, x, y, classes, 'accuracy');
    const counts = tf.tidy(() => {
      const out = model.forward(x);
      checkOutput(out, classes);
      const labels = y.rank === 2 ? tf.argMax(y, 1) : tf.cast(y, 'int32');
      return tf.stack(ks.map((k) => {
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
    checkLabeledBatch(model, data.x, data.y, classes, 'accuracy');
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
      if (batch === null || typeof batch !== 'object') throw new ConfigError('accuracy: every batch must be an { x, y } object', { argument: 'data' });
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
  if (total === 0) throw new ConfigError('accuracy: no samples to evaluate', {}, { code: 'DATA' });
  return correct.map((c) => c / total);
}

function isLabeledBatch(d: EvalData): d is LabeledBatch {
  return (d as LabeledBatch).x instanceof tf.Tensor && (d as LabeledBatch).y instanceof tf.Tensor;
}

/** Classes of the model's first output (its per-sample shape must be `[classes]`). */
function outputClasses(model: Model): number {
  const out = model.graph.outputs[0]!;
  const shape = model.graph.shape(out);
  if (shape.length !== 1) throw new ShapeError(`accuracy: the model output "${out}" must be [batch, classes], got per-sample shape [${shape.join(', ')}]`);
  return shape[0]!;
}

function checkOutput(out: tf.Tensor, classes: number): void {
  if (out.rank !== 2 || out.shape[1] !== classes) throw new ShapeError(`accuracy: the model output must be [batch, ${classes}], got [${out.shape.join(', ')}]`);
}
