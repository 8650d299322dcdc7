/** Training throughput (samples/s) of a Bonsai model with core's train() and of a tfjs-layers net with fit(). */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Core, Model } from './deps';
import { median, since } from './report';

/** Per-epoch timings of one run. */
export interface Throughput {
  /** Median samples/s over the timed epochs. */
  samplesPerSec: number;
  /** Wall time of each timed epoch (ms). */
  epochMs: number[];
  /** Mean loss of the last epoch. */
  lastLoss: number;
  /** Why the run failed, when it did. */
  error?: string;
}

/** Options of a throughput run. */
export interface RunOptions {
  warmup: number;
  epochs: number;
  batchSize: number;
}

/** Trains `model` with core's `train` one epoch at a time (same Adam across epochs). */
export async function coreThroughput(core: Core, model: Model, x: tf.Tensor, y: tf.Tensor, o: RunOptions): Promise<Throughput> {
  const optimizer = core.adam({ lr: 1e-3 });
  const n = x.shape[0]!;
  const times: number[] = [];
  let lastLoss = NaN;
  try {
    for (let e = 0; e < o.warmup + o.epochs; e++) {
      const t0 = performance.now();
      const h = await core.train(model, { x, y }, { epochs: 1, batchSize: o.batchSize, optimizer, seed: e });
      const ms = since(t0);
      lastLoss = h.epochLosses[0]!;
      if (e >= o.warmup) times.push(ms);
    }
    return { samplesPerSec: n / (median(times) / 1000), epochMs: times, lastLoss };
  } catch (err) {
    return { samplesPerSec: NaN, epochMs: times, lastLoss, error: firstLine(err) };
  } finally {
    optimizer.dispose();
  }
}

/** Trains a compiled tfjs-layers net with `fit`, one epoch per call. */
export async function layersThroughput(net: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, o: RunOptions): Promise<Throughput> {
  const n = x.shape[0]!;
  const times: number[] = [];
  let lastLoss = NaN;
  try {
    for (let e = 0; e < o.warmup + o.epochs; e++) {
      const t0 = performance.now();
      const h = await net.fit(x, y, { batchSize: o.batchSize, epochs: 1, shuffle: true, verbose: 0 });
      const ms = since(t0);
      lastLoss = Number(h.history.loss?.[0]);
      if (e >= o.warmup) times.push(ms);
    }
    return { samplesPerSec: n / (median(times) / 1000), epochMs: times, lastLoss };
  } catch (err) {
    return { samplesPerSec: NaN, epochMs: times, lastLoss, error: firstLine(err) };
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 200);
}
