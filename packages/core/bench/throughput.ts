/**
 * Training throughput (samples/s) of a Bonsai model with core's `train()` and of a tfjs-layers
 * net with `fit()`. Epochs of the two trainers are interleaved (A, B, A, B, ...) so that load
 * changes on a shared machine hit both alike.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { withBonsaiGradients } from './bonsai-gradients';
import type { Core, Model } from './deps';
import { median, since } from '@bonsai/bench-harness';

/** Per-epoch timings of one trainer. */
export interface Throughput {
  /** Median samples/s over the timed epochs. */
  samplesPerSec: number;
  /** Wall time of each timed epoch (ms). */
  epochMs: number[];
  /** Mean loss of the last epoch. */
  lastLoss: number;
  /** Why training failed, when it did. */
  error?: string;
}

/** Options of a throughput run. */
export interface RunOptions {
  warmup: number;
  epochs: number;
  batchSize: number;
}

/** Something that trains one epoch and returns its mean loss. */
export interface Trainer {
  epoch(e: number): Promise<number>;
  dispose(): void;
}

/** core's `train` on whole tensors, one epoch per call, one Adam across epochs, with Bonsai's gradients (tfjs's are back for the tfjs-layers epochs). */
export function coreTrainer(core: Core, model: Model, x: tf.Tensor, y: tf.Tensor, batchSize: number): Trainer {
  const optimizer = core.adam({ lr: 1e-3 });
  return {
    async epoch(e) {
      const h = await withBonsaiGradients(core, () => core.train(model, { x, y }, { epochs: 1, batchSize, optimizer, seed: e }));
      return h.epochLosses[0]!;
    },
    dispose: () => optimizer.dispose(),
  };
}

/** tfjs-layers `fit` (shuffled), one epoch per call. */
export function layersTrainer(net: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize: number): Trainer {
  return {
    async epoch() {
      const h = await net.fit(x, y, { batchSize, epochs: 1, shuffle: true, verbose: 0 });
      return Number(h.history.loss?.[0]);
    },
    dispose: () => undefined,
  };
}

/** Warms each trainer up, then times their epochs interleaved. A trainer that throws is reported as failed. */
export async function interleaved(trainers: readonly Trainer[], samples: number, o: RunOptions): Promise<Throughput[]> {
  const out: Throughput[] = trainers.map(() => ({ samplesPerSec: NaN, epochMs: [], lastLoss: NaN }));
  for (let e = 0; e < o.warmup + o.epochs; e++) {
    for (const [i, t] of trainers.entries()) {
      const r = out[i]!;
      if (r.error) continue;
      try {
        const t0 = performance.now();
        r.lastLoss = await t.epoch(e);
        const ms = since(t0);
        if (e >= o.warmup) r.epochMs.push(ms);
      } catch (err) {
        r.error = String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 200);
      }
    }
  }
  for (const r of out) if (!r.error && r.epochMs.length) r.samplesPerSec = samples / (median(r.epochMs) / 1000);
  return out;
}
