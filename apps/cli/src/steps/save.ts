import { save, type Model } from '@bonsai/core';
import { exportGraphModel, withPreprocessing } from '@bonsai/interop';
import { remove } from '@bonsai/prune';
import { FORMAT_NAMES } from '../model-format';
import { resolvePath } from '../model-source';
import { outputFormat } from '../out-dir';
import type { StepOf } from '../recipe';
import { exportLayers } from './export';
import type { PipelineState, StepHandler } from './state';

/** What {@link writeModel} wrote. */
export interface WrittenModel {
  dir: string;
  bytes: number;
  /** Human-readable format (`tfjs LayersModel (uint8 weights)`, `bonsai static int8`, ...). */
  format: string;
  /** Why the format differs from the input's, when it does (int8 has only Bonsai's format). */
  note?: string;
}

/**
 * Writes the current model to `dir` in the recipe's output format (default: the format the model
 * came in — Bonsai, tfjs LayersModel or GraphModel). An int8-quantized model is always written in
 * Bonsai's own int8 format (per-channel int8 has no stock tfjs equivalent), and the result says so.
 * Masks are baked into the weights, so zeros are stored, not masks.
 */
export async function writeModel(state: PipelineState, dir: string): Promise<WrittenModel> {
  const full = resolvePath(state.cwd, dir);
  const wanted = outputFormat(state.recipe, state.format);
  if (state.quantized) {
    const { bytes } = await state.quantized.write(full);
    const note = wanted !== 'bonsai' ? `the input was a ${FORMAT_NAMES[wanted]}, but int8 per-channel quantization is Bonsai's own format: load it with @bonsai/quantize's loadQuantized, not stock tfjs; for a stock-tfjs file use --quantize uint8` : undefined;
    return { dir: full, bytes, format: `${state.quantized.describe} (Bonsai's int8 format)`, note };
  }
  let model: Model = state.model;
  if (state.masked) {
    model = state.model.clone();
    remove(model);
  }
  try {
    const weights = state.recipe.outputWeights;
    if (wanted === 'layers-model') {
      const r = await exportLayers(model, full, weights, undefined, state.preprocess);
      return { dir: full, bytes: r.bytes, format: `tfjs LayersModel (${r.weights} weights)` };
    }
    if (wanted === 'graph-model') {
      const r = await exportGraphModel(model, full, { quantize: weights, preprocess: state.preprocess });
      return { dir: full, bytes: r.modelJsonBytes + r.weightBytes, format: `tfjs GraphModel (${weights ?? 'float32'} weights)` };
    }
    const metadata = withPreprocessing({}, state.preprocess);
    const { bytes } = await save(model, full, { producer: 'bonsai-cli', stage: state.stage.join(' + ') || 'dense', ...metadata });
    return { dir: full, bytes, format: 'bonsai float32' };
  } finally {
    if (model !== state.model) model.dispose();
  }
}

/** `save`: writes the current model to `path` (same format rules as the recipe's `output`). */
export const saveStep: StepHandler<StepOf<'save'>> = async (step, state) => {
  const r = await writeModel(state, step.path);
  return { summary: `saved ${r.format} model to ${r.dir} (${r.bytes} bytes)`, details: { ...r } };
};
