import type * as tf from '@tensorflow/tfjs-core';
import { type Batch, type Callback, ConfigError, type Model, ShapeError, train, type TrainData, type TrainHistory, type TrainOptions, type TrainState } from '@bonsai/core';
import { WorkerSession } from './session';

/** Options of {@link trainParallel}: core's {@link TrainOptions} plus the worker count. */
export interface TrainParallelOptions extends Omit<TrainOptions, 'loss' | 'capture' | 'extraParams' | 'step'> {
  /** Worker threads, each with its own wasm backend (default 2). */
  workers?: number;
  /** A built-in loss (a loss function cannot cross into the workers). Default `crossEntropy`. */
  loss?: 'crossEntropy' | 'mse';
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function yDtypeOf(t: tf.Tensor): 'float32' | 'int32' {
  if (t.dtype === 'float32' || t.dtype === 'int32') return t.dtype;
  throw new ConfigError(`trainParallel: targets of dtype ${t.dtype} are not supported (float32 or int32)`, { option: 'data.y' });
}

/** Checks that a batch fits the session's staging area (a sample shape the model does not take is the workers' to report). */
function checkFits(session: WorkerSession, batch: Batch): void {
  const s = session.state;
  const rows = batch.x.shape[0]!;
  if (batch.y.shape[0] !== rows) throw new ShapeError(`trainParallel: batch x has ${rows} rows but y has ${batch.y.shape[0]}`);
  if (rows > s.capacity) throw new ConfigError(`trainParallel: a batch of ${rows} rows exceeds the ${s.capacity} the workers were set up for; keep batches no larger than batchSize or the first batch`, { option: 'data' });
  if (batch.x.size > s.capacity * s.xSize) throw new ShapeError(`trainParallel: batch x of shape [${batch.x.shape.join(', ')}] does not fit the first batch's samples of ${s.xSize} values`);
  const ySize = sizeOf(batch.y.shape.slice(1));
  if (ySize !== s.ySize || batch.y.dtype !== s.yDtype) throw new ShapeError(`trainParallel: batch y has ${ySize} ${batch.y.dtype} values per row, the first batch had ${s.ySize} ${s.yDtype}`);
}

/**
 * Trains `model` in place with core's `train` loop (same batches, callbacks, schedules and
 * history), with each global batch split into `workers` contiguous shards computed in worker
 * threads (tinypool), each on its own wasm backend. The workers receive the model once; per
 * step they read the current weights from shared memory and write their shard's gradient to
 * shared memory; the main thread averages the shards in a fixed order ({@link averageShards}),
 * runs `onAfterBackward` and the optimizer, and publishes the new weights. For the same seed
 * and global batch the result equals single-thread gradient accumulation over the same shards
 * bit for bit. Batch norm normalizes each shard with its own statistics (PyTorch DDP without
 * SyncBN); the running statistics are worker 0's. Callbacks run on the main thread and must not
 * change params' shapes or masks (the workers would not see it).
 */
export async function trainParallel(model: Model, data: TrainData, options: TrainParallelOptions = {}): Promise<TrainHistory> {
  const workers = options.workers ?? 2;
  const loss = options.loss ?? 'crossEntropy';
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new ConfigError(`trainParallel: workers must be an integer in [1, 64], got ${workers}`, { option: 'workers' });
  if (loss !== 'crossEntropy' && loss !== 'mse') throw new ConfigError(`trainParallel: loss must be "crossEntropy" or "mse" (a loss function cannot run in the workers), got ${String(loss)}`, { option: 'loss' });
  let session: WorkerSession | undefined;
  const step = async (batch: Batch, state: TrainState): Promise<number> => {
    const rows = batch.x.shape[0]!;
    session ??= await WorkerSession.start(model, {
      workers, loss, capacity: Math.max(rows, options.batchSize ?? 32), sampleShape: batch.x.shape.slice(1), ySize: sizeOf(batch.y.shape.slice(1)), yDtype: yDtypeOf(batch.y),
    });
    checkFits(session, batch);
    session.x.set(batch.x.dataSync() as Float32Array);
    session.y.set(batch.y.dataSync());
    await session.step(rows, batch.x.shape.slice(1));
    return applyStep(model, session, rows, options.callbacks ?? [], state);
  };
  // Before the caller's callbacks see an epoch's end, the main model gets worker 0's running statistics.
  const statistics: Callback = { onEpochEnd: () => session?.syncStatistics(model) };
  try {
    return await train(model, data, { ...options, loss, step, callbacks: [statistics, ...(options.callbacks ?? [])] });
  } finally {
    await session?.close();
  }
}

/** Averages the shard gradients, runs `onAfterBackward`, steps the optimizer and publishes the weights; returns the batch loss. */
function applyStep(model: Model, session: WorkerSession, rows: number, callbacks: readonly Callback[], state: TrainState): number {
  const { grads, loss } = session.averaged(rows);
  let current = grads;
  try {
    for (const cb of callbacks) {
      const replaced = cb.onAfterBackward?.(current, state);
      if (replaced && replaced !== current) {
        for (const [k, t] of Object.entries(current)) if (replaced[k] !== t) t.dispose();
        current = replaced;
      }
    }
    state.optimizer.step(model.trainableParams(), current);
  } finally {
    for (const t of Object.values(current)) t.dispose();
  }
  session.publishWeights(model);
  return loss;
}
