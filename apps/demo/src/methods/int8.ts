import { quantizeDynamic, toQuantizedArtifacts, QUANTIZED_WEIGHTS_FILE } from '@bonsai/quantize';
import type { Method } from './types';

/** Dynamic (weight-only) int8 quantization, per-channel, batch norm folded first. */
export const int8: Method = {
  info: {
    id: 'int8',
    label: 'int8 quantization',
    note: 'Weights stored as int8 with per-channel scales: ~4x smaller file. Batch norm is folded into the convs first, which removes ops: any latency change comes from that folding, not from int8 (the wasm backend has no int8 kernels and computes in float32). For a tfjs LayersModel or GraphModel the download uses the stock uint8 weight encoding instead.',
  },
  async run(ctx) {
    ctx.progress('folding batch norm and quantizing weights to int8', 0.2);
    const model = quantizeDynamic(ctx.dense);
    const art = await toQuantizedArtifacts(model);
    const quantized = art.quantized.buffer.slice(art.quantized.byteOffset, art.quantized.byteOffset + art.quantized.byteLength) as ArrayBuffer;
    return {
      model,
      files: [
        { name: 'model.json', data: JSON.stringify(art.json) },
        { name: 'weights.bin', data: art.weights },
        { name: QUANTIZED_WEIGHTS_FILE, data: quantized },
      ],
    };
  },
};
