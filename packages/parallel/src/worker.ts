/**
 * Worker-thread entry of {@link trainParallel}: one long task per worker. The worker starts its
 * own wasm backend (1 thread), builds the model from the artifacts it received once, then per
 * step reads the current weights from shared memory, computes the gradient of its shard of the
 * global batch with core's `trainStep` and writes it to its gradient slot. Not part of the public API.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromArtifacts, hashSeed, initBackend, type Model, type ModelArtifacts, type Optimizer, type Param, trainStep, type TrainState, withValues } from '@bonsai/core';
import { Ctl, type SharedState, shardRange } from './shared-state';
import { describeError, type WorkerFailure } from './worker-error';

/** The one task a worker runs. */
export interface WorkerTask {
  rank: number;
  artifacts: ModelArtifacts;
  state: SharedState;
  loss: 'crossEntropy' | 'mse';
}

/** What a worker's task resolves to: after a stop command, or after its first failure. */
export interface WorkerResult {
  rank: number;
  steps: number;
  error?: WorkerFailure;
}

/** Waits (blocking this worker thread) until the generation counter moves past `seen`; returns the new value. */
function nextGeneration(control: Int32Array, seen: number): number {
  for (;;) {
    const g = Atomics.load(control, Ctl.generation);
    if (g !== seen) return g;
    Atomics.wait(control, Ctl.generation, seen, 1000);
  }
}

function signal(control: Int32Array, index: number): void {
  Atomics.add(control, index, 1);
  Atomics.notify(control, index);
}

/** Views of the shared buffers, made once per worker. */
interface Views {
  control: Int32Array;
  weights: Float32Array;
  grads: Float32Array;
  stats: Float32Array;
  losses: Float64Array;
  x: Float32Array;
  y: Float32Array;
}

function views(s: SharedState): Views {
  return {
    control: new Int32Array(s.control),
    weights: new Float32Array(s.weights),
    grads: new Float32Array(s.grads),
    stats: new Float32Array(s.stats),
    losses: new Float64Array(s.losses),
    x: new Float32Array(s.x),
    y: new Float32Array(s.y),
  };
}

/**
 * Copies the shared weights (and running statistics) into this worker's model: one copy, shared
 * memory to the heap (the worker's backend is wasm, whose tensor upload copies at once; a cpu
 * backend would keep the view).
 */
function loadWeights(model: Model, s: SharedState, v: Views): void {
  tf.tidy(() => {
    for (const slot of s.params) {
      const n = slot.shape.reduce((a, b) => a * b, 1);
      model.params.get(slot.name)!.value.assign(tf.tensor(v.weights.subarray(slot.offset, slot.offset + n), slot.shape));
    }
  });
}

/**
 * An "optimizer" that stores the gradients core's `trainStep` hands it into this worker's
 * shared gradient slot instead of updating anything: the worker's gradients are computed by
 * core's own step code, exactly as single-thread `train()` computes them.
 */
class GradientSink implements Optimizer {
  lr = 1;
  readonly lrMultipliers = new Map<string, number>();
  constructor(private readonly task: WorkerTask, private readonly v: Views) {}

  step(params: readonly Param[], grads: Readonly<Record<string, tf.Tensor>>): void {
    const s = this.task.state;
    const base = this.task.rank * s.gradSize;
    const byName = new Map(params.map((p) => [p.name, p]));
    for (const slot of s.params) {
      if (!slot.trainable) continue;
      const g = byName.has(slot.name) ? grads[slot.name] : undefined;
      const at = base + slot.gradOffset;
      if (g) withValues(g, (values) => this.v.grads.set(values, at));
      else this.v.grads.fill(0, at, at + slot.shape.reduce((a, b) => a * b, 1));
    }
  }

  reset(): void {}
  dispose(): void {}
}

/** Computes this worker's shard gradient of the current step into its slot. */
function computeShard(model: Model, task: WorkerTask, v: Views, sink: GradientSink, state: TrainState): void {
  const s = task.state;
  const rows = Atomics.load(v.control, Ctl.rows);
  const [lo, hi] = shardRange(rows, task.rank, s.workers);
  if (hi <= lo) return;
  loadWeights(model, s, v);
  const sampleShape = Array.from(v.control.subarray(Ctl.sampleShape, Ctl.sampleShape + Atomics.load(v.control, Ctl.sampleRank)));
  const ySlice = v.y.slice(lo * s.ySize, hi * s.ySize);
  const x = tf.tensor(v.x.slice(lo * s.xSize, hi * s.xSize), [hi - lo, ...sampleShape]);
  const y = tf.tensor(s.yDtype === 'int32' ? Int32Array.from(ySlice) : ySlice, [hi - lo, s.ySize], s.yDtype);
  try {
    v.losses[task.rank] = trainStep(model, { x, y }, task.loss, sink, [], state);
    // Running statistics follow worker 0's shard, like DDP's buffer broadcast from rank 0.
    if (task.rank === 0) for (const slot of s.params) if (!slot.trainable) withValues(model.params.get(slot.name)!.value, (values) => v.stats.set(values, slot.gradOffset));
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** Runs one worker until the main thread sends stop, or until a step fails. */
export default async function run(task: WorkerTask): Promise<WorkerResult> {
  const v = views(task.state);
  let model: Model | undefined;
  let steps = 0;
  try {
    await initBackend('wasm');
    // Rank 0 keeps the model's seed (its dropout stream is the one single-thread training draws); the others get their own.
    const seed = task.rank === 0 ? task.artifacts.json.seed : hashSeed(task.artifacts.json.seed, `parallel-rank-${task.rank}`);
    model = fromArtifacts({ json: { ...task.artifacts.json, seed }, weights: task.artifacts.weights });
    const sink = new GradientSink(task, v);
    const state: TrainState = { model, optimizer: sink, epoch: 0, step: 0, batchIndex: 0, loss: NaN, epochLoss: NaN, stopTraining: false, epochs: 1, batchesPerEpoch: NaN };
    signal(v.control, Ctl.ready);
    let seen = 0;
    for (;;) {
      seen = nextGeneration(v.control, seen);
      if (Atomics.load(v.control, Ctl.command) !== 0) break;
      computeShard(model, task, v, sink, state);
      steps++;
      signal(v.control, Ctl.done);
    }
    return { rank: task.rank, steps };
  } catch (e) {
    Atomics.compareExchange(v.control, Ctl.failed, 0, task.rank + 1);
    signal(v.control, Ctl.done);
    signal(v.control, Ctl.ready);
    return { rank: task.rank, steps, error: describeError(e) };
  } finally {
    model?.dispose();
  }
}
