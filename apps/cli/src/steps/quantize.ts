import { prepareQat, prepareStatic, quantizeDynamic, saveQuantized, toQuantizedArtifacts, type QuantizedModel, type QuantizeOptions } from '@bonsai/quantize';
import * as tf from '@tensorflow/tfjs-core';
import { calibrationTensors } from '../data';
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
  state.quantized = { bytes, describe: `bonsai ${q.mode} int8`, write: (dir) => saveQuantized(q, dir) };
  return bytes;
}

/**
 * Calibration batches of `count` training samples, drawing the progress bar. Each yielded batch
 * is disposed by the consumer (`calibrate` disposes what it reads).
 */
function* calibrationBatches(state: PipelineState, count: number, batchSize: number): Generator<tf.Tensor> {
  const { x, y } = calibrationTensors(state.data, count);
  y.dispose();
  const n = x.shape[0]!;
  const total = Math.ceil(n / batchSize);
  state.ctx.progress.start('calibrate', total);
  try {
    for (let i = 0, b = 0; i < n; i += batchSize, b++) {
      yield tf.slice(x, [i], [Math.min(batchSize, n - i)]);
      state.ctx.progress.update(b + 1, { samples: Math.min(n, i + batchSize) });
    }
  } finally {
    x.dispose();
    state.ctx.progress.finish();
  }
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
      details.calibration = prepared.calibrate(calibrationBatches(state, step.calibrationSamples, 128));
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
  return {
    summary: `${step.method} quantization: ${nq} weight tensors to ${step.dtype} (${step.perChannel ? 'per-channel' : 'per-tensor'}${step.method !== 'dynamic' ? `, ${q.activationQParams.size} activations int8` : ''}); ${bytes} bytes`,
    details: { ...details, quantizedWeights: nq, quantizedActivations: q.activationQParams.size, bytes },
  };
};

/** Quantization is wired to @bonsai/quantize. */
export const QUANTIZE_AVAILABLE: boolean = true;
