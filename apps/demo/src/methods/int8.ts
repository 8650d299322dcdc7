import { prepareStatic, toQuantizedArtifacts, QUANTIZED_WEIGHTS_FILE, type QuantizedModel } from '@bonsai/quantize';
import * as tf from '@tensorflow/tfjs-core';
import { useIntegerKernels } from '../int8-kernels';
import type { Method } from './types';

/** Samples of the method's training split (the user's images, or MNIST digits) that calibrate the activation ranges. */
export const CALIBRATION_SAMPLES = 256;

/**
 * Static int8 quantization, as the CLI's `quantize` step: batch norm folded, weights per-channel
 * int8, activation ranges calibrated on a batch of the training split, then the int8 layers run
 * on the integer WASM kernels (float fallback where they do not apply).
 */
export const int8: Method = {
  info: {
    id: 'int8',
    label: 'int8 quantization',
    note: `Static int8: batch norm folded into the convs, weights int8 per channel, activation ranges calibrated on ${CALIBRATION_SAMPLES} of your training images; the int8 layers then run on Bonsai's integer WASM kernels (float where a layer has none). ~4x smaller file. For a tfjs LayersModel or GraphModel the download uses the stock uint8 weight encoding instead.`,
  },
  async run(ctx) {
    ctx.progress('folding batch norm, calibrating activation ranges', 0.2);
    const prepared = prepareStatic(ctx.dense, { weights: { perChannel: true } });
    let model: QuantizedModel;
    try {
      const n = Math.min(CALIBRATION_SAMPLES, ctx.train.x.shape[0]!);
      const batch = tf.slice(ctx.train.x, [0], [n]);
      try {
        prepared.calibrate(batch, { batchSize: 64 });
      } finally {
        batch.dispose();
      }
      model = prepared.convert();
    } finally {
      prepared.dispose();
    }
    ctx.progress('moving the int8 layers to the integer WASM kernels', 0.6);
    const detail = await useIntegerKernels(model);
    const art = await toQuantizedArtifacts(model);
    const quantized = art.quantized.buffer.slice(art.quantized.byteOffset, art.quantized.byteOffset + art.quantized.byteLength) as ArrayBuffer;
    return {
      model,
      detail,
      files: [
        { name: 'model.json', data: JSON.stringify(art.json) },
        { name: 'weights.bin', data: art.weights },
        { name: QUANTIZED_WEIGHTS_FILE, data: quantized },
      ],
    };
  },
};
