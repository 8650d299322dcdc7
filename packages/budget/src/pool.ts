import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import { ConfigError, toArtifacts, type Model, type ModelArtifacts } from '@bonsai/core';
import { Tinypool } from 'tinypool';
import type { PassTimes, ScoreTask, TimeTask } from './tasks';
import type { WorkerRequest } from './worker';

/** Options of {@link SweepPool}. */
export interface SweepPoolOptions {
  /** Worker threads (default 2), each with its own wasm backend. */
  workers?: number;
}

/** The worker entry: dist/worker.js in the built package, else (running from src) a shim that loads worker.ts through tsx. */
function workerEntry(): string {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./worker-source.mjs', import.meta.url));
}

/**
 * A pool of worker threads (tinypool) for sensitivity sweeps and latency tables. Tasks carry the
 * model as in-memory artifacts, so each worker prunes and runs its own copy on its own wasm
 * backend; results are those of the in-process run (same kernels, same inputs). Call
 * {@link SweepPool.destroy} when done.
 */
export class SweepPool {
  /** Worker threads in the pool. */
  readonly workers: number;
  private readonly pool: Tinypool;

  constructor(options: SweepPoolOptions = {}) {
    const workers = options.workers ?? 2;
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new ConfigError(`SweepPool: workers must be an integer in [1, 64], got ${workers}`, { option: 'workers' });
    this.workers = workers;
    this.pool = new Tinypool({ filename: workerEntry(), minThreads: workers, maxThreads: workers, isolateWorkers: false });
  }

  /** Scores every task on a pruned clone of `model` in the workers; results in task order. */
  async score(model: Model, x: tf.Tensor, labels: Int32Array, tasks: readonly ScoreTask[]): Promise<number[]> {
    const artifacts = await toArtifacts(model);
    const data = { data: Float32Array.from(x.dataSync() as Float32Array), shape: [...x.shape] };
    return Promise.all(tasks.map((task) => this.run({ kind: 'score', model: artifacts, x: data, labels, task }) as Promise<number>));
  }

  /** Runs every timing task (its configurations interleaved on pruned clones of `model`) in the workers; fastest and median ms per configuration, in task order. */
  async time(model: Model, tasks: readonly TimeTask[]): Promise<PassTimes[][]> {
    const artifacts = await toArtifacts(model);
    return Promise.all(tasks.map((task) => this.run({ kind: 'time', model: artifacts, task }) as Promise<PassTimes[]>));
  }

  /** Stops the worker threads. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  private run(req: WorkerRequest & { model: ModelArtifacts }): Promise<unknown> {
    return this.pool.run(req);
  }
}
