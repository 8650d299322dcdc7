import type * as tf from '@tensorflow/tfjs-core';
import type { Callback, LossSpec, Model } from '@bonsai/core';
import type { Arch } from '../cnn';
import type { DownloadFile, MethodInfo } from '../protocol';

/** Tensors of a split: x `[n, 28, 28, 1]`, one-hot y `[n, 10]`. */
export interface Tensors {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** What a method run gets from the worker. */
export interface MethodContext {
  /** The model to compress; methods must not modify it (start from {@link copy}). */
  dense: Model;
  /** A fresh copy of the model to compress (re-imported, so a GraphModel keeps its provenance). */
  copy(): Promise<Model>;
  /** Fine-tuning loss: KD from the original when asked for (or when the data has no labels), else cross-entropy. */
  loss?: LossSpec;
  train: Tensors;
  test: Tensors;
  /** Widths of the demo CNN, when the model is one (the KD student is a narrower one). */
  arch?: Arch;
  /** Fine-tuning epochs (the demo keeps them short). */
  epochs: number;
  /** Reports progress in 0..1 with a short text, and the training loss at an optimizer step for the live curve. */
  progress(text: string, fraction: number, loss?: { step: number; loss: number }): void;
}

/** A compressed model plus what its download needs. */
export interface MethodResult {
  model: Model;
  /** Files in the method's own format when it is not core's float32 model.json + weights.bin. */
  files?: DownloadFile[];
  /** How the model computes, when that is worth saying (int8: how many layers run on the integer kernels). */
  detail?: string;
}

/** One compression method of the demo. */
export interface Method {
  info: MethodInfo;
  /** Compresses a clone of `ctx.dense` at `ratio` (fine-tuning included). */
  run(ctx: MethodContext, ratio: number): Promise<MethodResult>;
  /** One-shot compression of `model` (a throwaway clone) without fine-tuning, for the sweep curve. */
  oneShot?(model: Model, ratio: number): Model;
}

/** A train() callback that reports batch progress as `label` over `totalSteps`. */
export function progressCallback(ctx: MethodContext, label: string, totalSteps: number, from = 0, span = 1): Callback {
  return {
    onBatchEnd(s) {
      if (s.step % 2 === 0 || s.step === totalSteps) {
        const f = Math.min(1, s.step / totalSteps);
        ctx.progress(`${label}: step ${s.step}/${totalSteps}, loss ${s.loss.toFixed(3)}`, from + span * f, { step: s.step, loss: s.loss });
      }
    },
  };
}

/** Optimizer steps of `epochs` epochs over the method's training split at {@link BATCH_SIZE}. */
export function trainingSteps(ctx: MethodContext, epochs: number): number {
  return epochs * Math.ceil(ctx.train.x.shape[0]! / BATCH_SIZE);
}

/** Batch size of every fine-tuning run in the demo. */
export const BATCH_SIZE = 32;
