/**
 * One parallel training session on the main thread: the tinypool workers, the shared state and
 * the step protocol (start a step, wait for every shard, average, publish the new weights).
 * Not part of the public API.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, toArtifacts, type Model, withValues } from '@bonsai/core';
import { Tinypool } from 'tinypool';
import { averageShards } from './average';
import { Ctl, createSharedState, MAX_SAMPLE_RANK, type SharedState, shardRange } from './shared-state';
import type { WorkerResult, WorkerTask } from './worker';
import { workerError } from './worker-error';

type WaitAsync = (a: Int32Array, index: number, value: number, timeout?: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * The worker entry: dist/worker.js next to the built package's index. Running from src (tests,
 * benches under tsx): ../dist/worker.js when it is newer than the worker's sources (registering
 * tsx costs seconds per thread), else a shim that loads worker.ts through tsx.
 */
function workerEntry(): string {
  const at = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
  const js = at('./worker.js');
  if (existsSync(js)) return js;
  const built = at('../dist/worker.js');
  const sources = ['./worker.ts', './worker-error.ts', './shared-state.ts'].map(at);
  if (existsSync(built) && sources.every((f) => existsSync(f) && statSync(f).mtimeMs <= statSync(built).mtimeMs)) return built;
  return at('./worker-source.mjs');
}

/** What a session needs to lay out its shared memory. */
export interface SessionSpec {
  workers: number;
  loss: 'crossEntropy' | 'mse';
  /** Largest global batch (rows). */
  capacity: number;
  sampleShape: readonly number[];
  ySize: number;
  yDtype: 'float32' | 'int32';
}

/** The workers of one run and the shared memory they compute in. */
export class WorkerSession {
  private readonly control: Int32Array;
  private readonly weights: Float32Array;
  private readonly grads: Float32Array;
  private readonly stats: Float32Array;
  private readonly losses: Float64Array;
  /** Staging area of the current global batch. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  private readonly settled: Promise<void>;
  private closed = false;

  private constructor(
    readonly state: SharedState,
    private readonly pool: Tinypool,
    private readonly tasks: Promise<WorkerResult>[],
  ) {
    this.control = new Int32Array(state.control);
    this.weights = new Float32Array(state.weights);
    this.grads = new Float32Array(state.grads);
    this.stats = new Float32Array(state.stats);
    this.losses = new Float64Array(state.losses);
    this.x = new Float32Array(state.x);
    this.y = new Float32Array(state.y);
    // Resolves as soon as any worker's task ends: before stop, that is a failure.
    this.settled = new Promise((resolve) => {
      for (const t of tasks) t.then(() => resolve(), () => resolve());
    });
  }

  /** Starts `spec.workers` workers, each with its own copy of `model` (sent once), and waits until they are ready. */
  static async start(model: Model, spec: SessionSpec): Promise<WorkerSession> {
    const params = [...model.params.values()].map((p) => ({ name: p.name, shape: p.shape, trainable: p.trainable }));
    const state = createSharedState({ ...spec, params });
    const artifacts = await toArtifacts(model);
    const pool = new Tinypool({ filename: workerEntry(), minThreads: spec.workers, maxThreads: spec.workers, isolateWorkers: false, concurrentTasksPerWorker: 1 });
    const tasks = Array.from({ length: spec.workers }, (_, rank) => pool.run({ rank, artifacts, state, loss: spec.loss } satisfies WorkerTask) as Promise<WorkerResult>);
    const session = new WorkerSession(state, pool, tasks);
    session.publishWeights(model, true);
    await session.waitUntil(Ctl.ready, spec.workers);
    return session;
  }

  /** Computes every shard of the staged global batch (`rows` rows of `sampleShape`) in the workers. */
  async step(rows: number, sampleShape: readonly number[]): Promise<void> {
    if (sampleShape.length > MAX_SAMPLE_RANK) throw new ShapeError(`trainParallel: samples of rank ${sampleShape.length} are not supported (at most ${MAX_SAMPLE_RANK})`);
    const c = this.control;
    Atomics.store(c, Ctl.rows, rows);
    Atomics.store(c, Ctl.sampleRank, sampleShape.length);
    sampleShape.forEach((d, i) => Atomics.store(c, Ctl.sampleShape + i, d));
    Atomics.store(c, Ctl.done, 0);
    Atomics.add(c, Ctl.generation, 1);
    Atomics.notify(c, Ctl.generation);
    await this.waitUntil(Ctl.done, this.state.workers);
  }

  /** Shard sizes of a global batch of `rows` rows. */
  shardRows(rows: number): number[] {
    return Array.from({ length: this.state.workers }, (_, r) => {
      const [lo, hi] = shardRange(rows, r, this.state.workers);
      return hi - lo;
    });
  }

  /** The averaged gradient of the last step, one tensor per trainable param (the caller owns them), and the global batch's mean loss. */
  averaged(rows: number): { grads: Record<string, tf.Tensor>; loss: number } {
    const counts = this.shardRows(rows);
    const mean = averageShards(this.grads, this.state.gradSize, counts);
    const grads: Record<string, tf.Tensor> = {};
    for (const slot of this.state.params) {
      if (!slot.trainable) continue;
      const n = slot.shape.reduce((a, b) => a * b, 1);
      grads[slot.name] = tf.tensor(mean.subarray(slot.gradOffset, slot.gradOffset + n), slot.shape);
    }
    let loss = 0;
    counts.forEach((n, r) => {
      loss += n * this.losses[r]!;
    });
    return { grads, loss: loss / rows };
  }

  /**
   * Writes the model's trainable weights into shared memory for the next step, and worker 0's
   * running statistics (or, initially, the model's own) next to them.
   */
  publishWeights(model: Model, initial = false): void {
    for (const slot of this.state.params) {
      if (slot.trainable || initial) {
        withValues(model.params.get(slot.name)!.value, (values) => this.weights.set(values, slot.offset));
      } else {
        const n = slot.shape.reduce((a, b) => a * b, 1);
        this.weights.set(this.stats.subarray(slot.gradOffset, slot.gradOffset + n), slot.offset);
      }
    }
  }

  /** Copies the shared running statistics (worker 0's) into the main thread's model. */
  syncStatistics(model: Model): void {
    tf.tidy(() => {
      for (const slot of this.state.params) {
        if (slot.trainable) continue;
        const n = slot.shape.reduce((a, b) => a * b, 1);
        model.params.get(slot.name)!.value.assign(tf.tensor(this.weights.slice(slot.offset, slot.offset + n), slot.shape));
      }
    });
  }

  /** Stops the workers and the pool; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, Ctl.command, 1);
    Atomics.add(this.control, Ctl.generation, 1);
    Atomics.notify(this.control, Ctl.generation);
    await Promise.allSettled(this.tasks);
    await this.pool.destroy();
  }

  /** Waits until control slot `index` reaches `target`; on a worker failure closes the session and throws the worker's typed error. */
  private async waitUntil(index: number, target: number): Promise<void> {
    const c = this.control;
    for (;;) {
      const v = Atomics.load(c, index);
      if (Atomics.load(c, Ctl.failed) !== 0) return this.fail();
      if (v >= target) return;
      const w = waitAsync(c, index, v);
      let ended = false;
      if (w.async) await Promise.race([w.value, this.settled.then(() => { ended = true; })]);
      if (ended && Atomics.load(c, Ctl.failed) === 0 && Atomics.load(c, index) < target) return this.fail();
    }
  }

  /** Closes the session and throws the first failed worker's error. */
  private async fail(): Promise<never> {
    await this.close();
    const results = await Promise.allSettled(this.tasks);
    const failedRank = Atomics.load(this.control, Ctl.failed) - 1;
    for (const [rank, r] of results.entries()) {
      if (r.status === 'fulfilled' && r.value.error && (failedRank < 0 || rank === failedRank)) throw workerError(rank, r.value.error);
    }
    const crashed = results.findIndex((r) => r.status === 'rejected');
    const reason = crashed >= 0 ? (results[crashed] as PromiseRejectedResult).reason : 'its thread ended';
    throw workerError(Math.max(crashed, failedRank, 0), { name: 'Error', message: String((reason as Error)?.message ?? reason) });
  }
}
