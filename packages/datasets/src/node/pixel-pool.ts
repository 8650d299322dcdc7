import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IoError } from '@bonsai/core';
import { DatasetError } from '../errors';
import type { PixelPlan } from '../image/pixels';

/** One image for a worker: decode `file` with `decoder`, preprocess with `plan` to `hw`. */
export interface PixelTask {
  id: number;
  file: string;
  decoder: 'sharp' | 'js';
  plan: PixelPlan;
  hw: readonly [number, number];
}

/** A worker's answer: the sample's values, or what went wrong. */
export interface PixelReply {
  id: number;
  values?: Float32Array;
  error?: { kind: 'io' | 'data'; message: string; file: string; reason?: string };
}

/**
 * Worker threads that read, decode and preprocess images off the main thread, so a prefetched
 * batch is prepared in full while the main thread runs a synchronous training step (and a second
 * core is used). Workers start on first use and do not keep the process alive when idle.
 */
export class PixelPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;
  private turn = 0;

  constructor(readonly size: number) {}

  /** Decodes and preprocesses `file` in a worker; resolves to `prod(hw) * channels` float32 values. */
  run(file: string, decoder: 'sharp' | 'js', plan: PixelPlan, hw: readonly [number, number]): Promise<Float32Array> {
    const worker = this.worker();
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.ref();
      const task: PixelTask = { id, file, decoder, plan, hw };
      worker.postMessage(task);
    });
  }

  /** Stops the workers (pending loads reject). */
  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private worker(): Worker {
    if (this.workers.length < this.size) this.workers.push(this.spawn());
    return this.workers[this.turn++ % this.workers.length] as Worker;
  }

  private spawn(): Worker {
    const built = new URL('./pixel-worker.js', import.meta.url);
    const worker = existsSync(fileURLToPath(built)) ? new Worker(built) : sourceWorker();
    worker.unref();
    worker.on('message', (reply: PixelReply) => {
      const job = this.pending.get(reply.id);
      if (!job) return;
      this.pending.delete(reply.id);
      if (![...this.pending.values()].some((p) => p.worker === worker)) worker.unref();
      if (reply.values) job.resolve(reply.values);
      else if (reply.error?.kind === 'io') job.reject(new IoError(reply.error.message.replace(/^.*?: /, '').replace(/ \([A-Z]+\)$/, ''), { path: reply.error.file, reason: reply.error.reason }));
      else job.reject(new DatasetError((reply.error?.message ?? 'worker failed').replace(`${reply.error?.file ?? ''}: `, ''), reply.error?.file));
    });
    worker.on('error', (error) => {
      for (const [id, job] of this.pending) {
        if (job.worker !== worker) continue;
        this.pending.delete(id);
        job.reject(new DatasetError(`image worker failed: ${error.message}`));
      }
    });
    return worker;
  }
}

/** From sources (tests, benches) the worker is TypeScript: load it through tsx's loader (a dev dependency). */
function sourceWorker(): Worker {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
  const script = new URL('./pixel-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`, { eval: true });
}
