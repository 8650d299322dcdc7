import type { Batch, Callback } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import type { DataBatch, Dataset, StreamOptions } from './dataset';
import { DatasetError } from './errors';
import { DEFAULT_SEED } from './shuffle';

/** Options of {@link trainingStream}. */
export interface TrainingStreamOptions extends Omit<StreamOptions, 'shuffle' | 'seed'> {
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Epoch `e` is shuffled with `seed + e` (default 42). */
  seed?: number;
  /**
   * Makes a batch's targets from its inputs (e.g. a teacher's outputs, for label-free
   * distillation, or labels kept elsewhere, looked up by `batch.indices`); required for unlabeled
   * data, replaces labels otherwise. Its result is owned by the batch.
   */
  target?: (x: tf.Tensor, batch: DataBatch) => tf.Tensor;
  /**
   * Replaces a batch's inputs before `target` sees them (e.g. seeded augmentation: epoch `epoch`,
   * batches in order); the original `x` is disposed unless returned. Its result is owned by the batch.
   */
  input?: (x: tf.Tensor, batch: DataBatch, epoch: number) => tf.Tensor;
}

/** Streamed data for core's `train()`: pass `data` as the data and `callback` among the callbacks. */
export interface TrainingStream {
  data: (epoch: number) => Iterable<Batch>;
  callback: Callback;
}

/**
 * Feeds a streaming {@link Dataset} to `@bonsai/core`'s `train()`, which iterates batches
 * synchronously: the callback awaits each batch before `train` asks for it (in `onEpochBegin`
 * and `onBatchEnd`, which `train` awaits), while the dataset prefetches the following one during
 * the training step. Memory stays bounded as in {@link Dataset.batches}.
 *
 * ```ts
 * const stream = trainingStream(ds, { batchSize: 32 });
 * await train(model, stream.data, { epochs: 2, callbacks: [stream.callback] });
 * ```
 * @throws DatasetError (when iterated) if `callback` was not passed to `train`, or for unlabeled data without `target`.
 */
export function trainingStream(dataset: Dataset, options: TrainingStreamOptions): TrainingStream {
  const { target, input } = options;
  if (!dataset.labeled && !target) throw new DatasetError('unlabeled data needs a target function (e.g. the teacher model) to train on');
  const seed = options.seed ?? DEFAULT_SEED;
  let iterator: AsyncGenerator<DataBatch> | undefined;
  let ready: Batch | undefined;
  let epochOpen = -1;

  const advance = async (): Promise<void> => {
    const result = iterator ? await iterator.next() : { done: true as const, value: undefined };
    if (result.done) {
      ready = undefined;
      return;
    }
    const { y } = result.value;
    let { x } = result.value;
    if (input) {
      const raw = x;
      try {
        x = input(raw, result.value, epochOpen);
      } catch (e) {
        tf.dispose([raw, ...(y ? [y] : [])]);
        throw e;
      }
      if (x !== raw) raw.dispose();
    }
    if (target) {
      y?.dispose();
      ready = { x, y: target(x, result.value) };
    } else {
      ready = { x, y: y as tf.Tensor };
    }
  };
  const close = async (): Promise<void> => {
    if (ready) {
      ready.x.dispose();
      ready.y.dispose();
      ready = undefined;
    }
    await iterator?.return(undefined);
    iterator = undefined;
  };

  const callback: Callback = {
    async onEpochBegin(state) {
      await close();
      iterator = dataset.batches({ ...options, shuffle: options.shuffle ?? true, seed: seed + state.epoch });
      epochOpen = state.epoch;
      await advance();
    },
    async onBatchEnd() {
      await advance();
    },
    async onEpochEnd() {
      await close();
    },
    async onTrainEnd() {
      await close();
    },
  };

  const data = (epoch: number): Iterable<Batch> => ({
    [Symbol.iterator]: (): Iterator<Batch> => {
      if (epochOpen !== epoch) throw new DatasetError('trainingStream: pass stream.callback in train()\'s callbacks (it loads the batches)');
      return {
        next: (): IteratorResult<Batch> => {
          const batch = ready;
          ready = undefined;
          return batch ? { value: batch, done: false } : { value: undefined, done: true };
        },
      };
    },
  });
  return { data, callback };
}
