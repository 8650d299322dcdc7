/**
 * The shared memory of one parallel training run: a control block (Int32 slots the threads
 * synchronize on with `Atomics`), the model's weights, one gradient slot per worker, the
 * running statistics worker 0 produced, per-worker losses, and a staging area for the current
 * global batch. Every buffer is a SharedArrayBuffer: posting it to a worker shares it, nothing
 * is copied per step. Not part of the public API.
 */

/** Indices into the control block. */
export const Ctl = {
  /** Bumped by the main thread to start a step (workers wait on it). */
  generation: 0,
  /** Workers done with the current step (the main thread waits on it). */
  done: 1,
  /** 0 = run a step, 1 = stop. */
  command: 2,
  /** Rows of the current global batch in the staging area. */
  rows: 3,
  /** Workers that finished initializing. */
  ready: 4,
  /** 1 + the rank of the first worker that failed, 0 while none has. */
  failed: 5,
  /** Rank of the dimensions of one sample (x.shape without the batch axis). */
  sampleRank: 6,
  /** The sample dimensions start here (at most {@link MAX_SAMPLE_RANK}). */
  sampleShape: 7,
} as const;

/** Largest supported rank of one sample. */
export const MAX_SAMPLE_RANK = 8;
const CONTROL_SLOTS = Ctl.sampleShape + MAX_SAMPLE_RANK;

/** Where one param lives in the flat weight (and gradient) vectors. */
export interface ParamSlot {
  name: string;
  shape: number[];
  trainable: boolean;
  /** Offset (in floats) in the weight vector. */
  offset: number;
  /** Offset (in floats) in a gradient slot (trainable params) or in the statistics vector (the others); -1 if none. */
  gradOffset: number;
}

/** The layout and buffers, as posted to every worker. */
export interface SharedState {
  params: ParamSlot[];
  workers: number;
  /** Floats of one gradient slot (all trainable params). */
  gradSize: number;
  /** Floats of the running-statistics vector (all non-trainable params). */
  statSize: number;
  /** Capacity of the staging area in rows. */
  capacity: number;
  /** Floats per sample of x and of y. */
  xSize: number;
  ySize: number;
  /** dtype of the targets. */
  yDtype: 'float32' | 'int32';
  control: SharedArrayBuffer;
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  losses: SharedArrayBuffer;
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
}

/** What {@link createSharedState} needs. */
export interface SharedStateSpec {
  params: ReadonlyArray<{ name: string; shape: number[]; trainable: boolean }>;
  workers: number;
  capacity: number;
  sampleShape: readonly number[];
  ySize: number;
  yDtype: 'float32' | 'int32';
}

const f32 = (n: number) => new SharedArrayBuffer(4 * Math.max(1, n));
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Lays out the shared buffers for the given params, worker count and batch capacity. */
export function createSharedState(spec: SharedStateSpec): SharedState {
  let offset = 0;
  let gradSize = 0;
  let statSize = 0;
  const params: ParamSlot[] = spec.params.map((p) => {
    const n = sizeOf(p.shape);
    const slot = { name: p.name, shape: [...p.shape], trainable: p.trainable, offset, gradOffset: p.trainable ? gradSize : statSize };
    offset += n;
    if (p.trainable) gradSize += n;
    else statSize += n;
    return slot;
  });
  const xSize = sizeOf(spec.sampleShape);
  const state: SharedState = {
    params, workers: spec.workers, gradSize, statSize, capacity: spec.capacity, xSize, ySize: spec.ySize, yDtype: spec.yDtype,
    control: new SharedArrayBuffer(4 * CONTROL_SLOTS),
    weights: f32(offset),
    grads: f32(gradSize * spec.workers),
    stats: f32(statSize),
    losses: new SharedArrayBuffer(8 * spec.workers),
    x: f32(spec.capacity * xSize),
    y: f32(spec.capacity * spec.ySize),
  };
  return state;
}

/** The rows `[start, end)` of a global batch of `rows` rows that worker `rank` of `workers` computes (contiguous, sizes differ by at most one). */
export function shardRange(rows: number, rank: number, workers: number): [number, number] {
  return [Math.floor((rank * rows) / workers), Math.floor(((rank + 1) * rows) / workers)];
}
