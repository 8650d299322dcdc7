import { enableIntegerKernels, type PreparedModel, prepareQat, prepareStatic, quantizeDynamic, saveQuantized, toQuantizedArtifacts, type QuantizedModel, type QuantizeOptions } from '@bonsai/quantize';
import { withPreprocessing } from '@bonsai/interop';
import * as tf from '@tensorflow/tfjs-core';
import { batchForMemory } from '../batch-memory';
import { partBatches } from '../stream';
import type { StepOf } from '../recipe';
import { runTraining } from '../training';
import { labelFreeLoss } from './train';
import type { PipelineState, StepHandler } from './state';

/** Bytes of a quantized model as `saveQuantized` writes it (model.json + float weights + packed integers). */
export async function quantizedBytes(model: QuantizedModel): Promise<number> {
  const art = await toQuantizedArtifacts(model);
  return new TextEncoder().encode(JSON.stringify(art.json)).byteLength + art.weights.byteLength + art.quantized.byteLength;
}

/** Makes `q` the pipeline's current model (disposing the float one) and records how to save it. */
export async function adoptQuantized(state: PipelineState, q: QuantizedModel): Promise<number> {
  if (q !== state.model) state.model.dispose();
  state.model = q;
  state.masked = false;
  const bytes = await quantizedBytes(q);
  // The preprocessing the data got is recorded as in tfjs outputs (userDefinedMetadata.bonsai.preprocess).
  const write = (dir: string) => saveQuantized(q, dir, { userDefinedMetadata: withPreprocessing<{ userDefinedMetadata?: Record<string, unknown> }>({}, state.preprocess).userDefinedMetadata });
  state.quantized = { bytes, describe: `bonsai ${q.mode} int8`, write };
  return bytes;
}

/**
 * Calibrates `prepared` on the first `count` training samples, streamed in batches of
 * `batchSize` (observers accumulate over the calls, as over one iterable), drawing the progress bar.
 */
async function calibrateStreamed(prepared: PreparedModel, state: PipelineState, count: number, batchSize: number): Promise<{ batches: number; samples: number }> {
  const n = Math.min(count, state.data.train.count);
  state.ctx.progress.start('calibrate', Math.ceil(n / batchSize));
  let batches = 0;
  let samples = 0;
  try {
    for await (const b of partBatches(state.data, state.data.train, { batchSize, count: n })) {
      try {
        const r = prepared.calibrate(b.x); // a tensor is not disposed by calibrate
        batches += r.batches;
        samples += r.samples;
      } finally {
        tf.dispose([b.x, b.y]);
      }
      state.ctx.progress.update(batches, { samples });
    }
  } finally {
    state.ctx.progress.finish();
  }
  return { batches, samples };
}

/** `quantize`: int8 dynamic (weights only), static (calibrated activations) or QAT (fake-quant training). */
export const quantizeStep: StepHandler<StepOf<'quantize'>> = async (step, state, index) => {
  const weights = { dtype: step.dtype, perChannel: step.perChannel, symmetric: step.symmetric };
  const options: QuantizeOptions = { weights };
  let q: QuantizedModel;
  const details: Record<string, unknown> = { method: step.method, weights };
  if (step.method === 'dynamic') {
    q = quantizeDynamic(state.model, { weights: { ...weights, observer: step.observer } });
  } else if (step.method === 'static') {
    const prepared = prepareStatic(state.model, { ...options, activations: { observer: step.observer } });
    try {
      details.calibration = await calibrateStreamed(prepared, state, step.calibrationSamples, batchForMemory(state.model, 128, { training: false }));
      q = prepared.convert();
    } finally {
      prepared.dispose();
    }
  } else {
    const prepared = prepareQat(state.model, options);
    const free = labelFreeLoss(state, index, undefined, prepared);
    try {
      details.training = await runTraining(prepared, state.data, { epochs: step.epochs, lr: step.lr, optimizer: 'adam', schedule: 'cosine', weightDecay: 0 }, state.ctx, {
        label: 'QAT',
        defaultLr: step.lr,
        loss: free?.loss,
        capture: free?.capture,
        evalEachEpoch: false,
        recalibrate: false,
      });
      q = prepared.convert();
    } finally {
      prepared.dispose();
    }
  }
  const bytes = await adoptQuantized(state, q);
  state.stage.push(`${step.dtype} ${step.method}`);
  const nq = q.quantizedWeights.size;
  // With activation grids, the later steps (evaluation, latency) run the int8 layers on Bonsai's
  // integer WASM kernels, as a user of the saved folder would (`enableIntegerKernels`).
  const onKernels = step.method !== 'dynamic' && step.dtype === 'int8' ? (await enableIntegerKernels(q)).describe().filter((s) => s.kind !== 'float').length : 0;
  if (onKernels > 0) details.integerKernelSteps = onKernels;
  return {
    summary: `${step.method} quantization: ${nq} weight tensors to ${step.dtype} (${step.perChannel ? 'per-channel' : 'per-tensor'}${step.method !== 'dynamic' ? `, ${q.activationQParams.size} activations int8` : ''}); ${bytes} bytes${onKernels > 0 ? `; ${onKernels} steps on the int8 WASM kernels` : ''}`,
    details: { ...details, quantizedWeights: nq, quantizedActivations: q.activationQParams.size, bytes },
  };
};

/** Quantization is wired to @bonsai/quantize. */
export const QUANTIZE_AVAILABLE: boolean = true;
