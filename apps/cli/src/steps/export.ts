import { exportLayersModel, type WeightQuantization } from '@bonsai/interop';
import type { Model } from '@bonsai/core';
import { QuantizedModel } from '@bonsai/quantize';
import { ExportUnsupportedError } from '../errors';
import { resolvePath } from '../model-source';
import type { StepOf } from '../recipe';
import type { StepHandler } from './state';

/** What {@link exportLayers} wrote. */
export interface LayersExport {
  /** Absolute output folder. */
  dir: string;
  format: 'tfjs layers-model';
  /** Kernel encoding (`float32` unless quantized). */
  weights: WeightQuantization | 'float32';
  files: string[];
  modelJsonBytes: number;
  weightBytes: number;
  /** model.json + weights. */
  bytes: number;
}

/** The typed error for an int8 Bonsai model, which has no tfjs LayersModel equivalent. */
export function int8ExportError(model: QuantizedModel, source?: string): ExportUnsupportedError {
  return new ExportUnsupportedError(
    `cannot export ${source ? `"${source}" ` : 'the model '}as a tfjs LayersModel: it is a ${model.mode}-quantized int8 Bonsai model, ` +
      'and per-channel int8 has no tfjs equivalent. Export the float or pruned model instead, with --quantize uint8 ' +
      '(recipe: "quantize": "uint8") for a ~4x smaller file that stock tf.loadLayersModel dequantizes.',
    source,
  );
}

/**
 * Writes `model` to `dir` as a stock tfjs LayersModel (`model.json` + `weights.bin`, masks baked
 * into the values; the model keeps its masks; `preprocess` is recorded in model.json). Refuses int8 models with an
 * {@link ExportUnsupportedError}.
 */
export async function exportLayers(model: Model, dir: string, quantize?: WeightQuantization, source?: string, preprocess?: string): Promise<LayersExport> {
  if (model instanceof QuantizedModel) throw int8ExportError(model, source);
  const r = await exportLayersModel(model, dir, { quantize, preprocess });
  return { dir, format: 'tfjs layers-model', weights: quantize ?? 'float32', files: r.files, modelJsonBytes: r.modelJsonBytes, weightBytes: r.weightBytes, bytes: r.modelJsonBytes + r.weightBytes };
}

/** `export`: writes the current model as a tfjs LayersModel to `output`. */
export const exportStep: StepHandler<StepOf<'export'>> = async (step, state) => {
  const r = await exportLayers(state.model, resolvePath(state.cwd, step.output), step.quantize);
  return { summary: `exported a tfjs LayersModel (${r.weights} kernels) to ${r.dir}: ${r.bytes} bytes`, details: { ...r } };
};
