import { SerializationError, toArtifacts, type Model } from '@bonsai/core';
import { checkModel } from './validate';

/** Bytes of a model in Bonsai's format. */
export interface SizeReport {
  /** model.json as UTF-8. */
  modelJson: number;
  /** The weights file(s). */
  weights: number;
  /** Sum of both. */
  total: number;
}

/**
 * Size of `model` serialized by core's `toArtifacts` (model.json + weights.bin), without
 * writing anything. Masks are stored as extra tensors (1 byte per entry), so a masked (not yet
 * baked) model is larger than its baked form; float32 zeros cost as much as any value.
 */
export async function serializedSize(model: Model): Promise<SizeReport> {
  checkModel(model, 'serializedSize');
  const art = await toArtifacts(model);
  const modelJson = new TextEncoder().encode(JSON.stringify(art.json)).byteLength;
  const weights = art.weights.byteLength;
  return { modelJson, weights, total: modelJson + weights };
}

/**
 * Total bytes of the files in folder `dir` (recursively), e.g. a model saved with `save`.
 * Node only. Throws SerializationError naming the folder when it cannot be read.
 */
export async function fileSize(dir: string): Promise<number> {
  const [{ readdir, stat }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const walk = async (d: string): Promise<number> => {
    let total = 0;
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) total += await walk(full);
      else if (e.isFile()) total += (await stat(full)).size;
    }
    return total;
  };
  try {
    return await walk(dir);
  } catch (e) {
    throw new SerializationError(`cannot read the folder: ${(e as Error).message}`, dir);
  }
}
