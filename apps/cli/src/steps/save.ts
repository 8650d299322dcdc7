import { save, type Model } from '@bonsai/core';
import { remove } from '@bonsai/prune';
import { resolvePath } from '../model-source';
import type { StepOf } from '../recipe';
import type { PipelineState, StepHandler } from './state';

/**
 * Writes the current model to `dir`: the quantized format after a quantize step, else core's
 * model.json + weights.bin (masks baked into the weights, so zeros are stored, not masks).
 */
export async function writeModel(state: PipelineState, dir: string): Promise<{ dir: string; bytes: number; format: string }> {
  const full = resolvePath(state.cwd, dir);
  if (state.quantized) {
    const { bytes } = await state.quantized.write(full);
    return { dir: full, bytes, format: state.quantized.describe };
  }
  let model: Model = state.model;
  if (state.masked) {
    model = state.model.clone();
    remove(model);
  }
  try {
    const { bytes } = await save(model, full, { producer: 'bonsai-cli', stage: state.stage.join(' + ') || 'dense' });
    return { dir: full, bytes, format: 'bonsai float32' };
  } finally {
    if (model !== state.model) model.dispose();
  }
}

/** `save`: writes the current model to `path`. */
export const saveStep: StepHandler<StepOf<'save'>> = async (step, state) => {
  const r = await writeModel(state, step.path);
  return { summary: `saved ${r.format} model to ${r.dir} (${r.bytes} bytes)`, details: r };
};
