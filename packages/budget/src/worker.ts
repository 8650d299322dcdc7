/**
 * Worker-thread entry of {@link SweepPool}: each worker initializes its own wasm backend once,
 * then runs score and time tasks on models sent as in-memory artifacts. Not part of the public API.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromArtifacts, initBackend, type ModelArtifacts } from '@bonsai/core';
import { runScoreTask, runTimeTask, type PassTimes, type ScoreTask, type TimeTask } from './tasks';

/** A task message of the pool. */
export type WorkerRequest =
  | { kind: 'score'; model: ModelArtifacts; x: { data: Float32Array; shape: number[] }; labels: Int32Array; task: ScoreTask }
  | { kind: 'time'; model: ModelArtifacts; task: TimeTask };

let ready: Promise<unknown> | undefined;

/** Runs one request on this worker's wasm backend. */
export default async function run(req: WorkerRequest): Promise<number | PassTimes[]> {
  ready ??= initBackend('wasm');
  await ready;
  const model = fromArtifacts(req.model);
  try {
    if (req.kind === 'time') return runTimeTask(model, req.task);
    const x = tf.tensor(req.x.data, req.x.shape);
    try {
      return runScoreTask(model, x, req.labels, req.task);
    } finally {
      x.dispose();
    }
  } finally {
    model.dispose();
  }
}
