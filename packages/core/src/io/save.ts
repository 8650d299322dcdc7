import { SerializationError } from '../errors';
import type { Model } from '../model';
import { readArrayBuffer, readJson, resolveInside, writeFilesAtomic } from './files';
import { fromArtifacts, MODEL_FILE, toArtifacts, validateModelJson, WEIGHTS_FILE, type ModelJSON } from './format';

/** Saves `model` to `dir` as model.json + weights.bin (atomic: temp files, then rename). Node only. */
export async function save(model: Model, dir: string, extra: Record<string, unknown> = {}): Promise<{ modelJson: string; bytes: number }> {
  const art = await toArtifacts(model);
  const json: ModelJSON = { ...art.json, ...extra };
  const text = JSON.stringify(json);
  await writeFilesAtomic(dir, [
    { name: WEIGHTS_FILE, data: new Uint8Array(art.weights) },
    { name: MODEL_FILE, data: text },
  ]);
  return { modelJson: text, bytes: art.weights.byteLength + Buffer.byteLength(text) };
}

/** Reads model.json and its weight files from `dir` (paths confined to the folder). Node only. */
export async function readModelFiles(dir: string): Promise<{ json: ModelJSON; weights: ArrayBuffer; file: string }> {
  const { join } = await import('node:path');
  const file = join(dir, MODEL_FILE);
  const json = validateModelJson(await readJson(file), file);
  const parts: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) parts.push(await readArrayBuffer(await resolveInside(dir, p)));
  }
  const total = parts.reduce((a, b) => a + b.byteLength, 0);
  const weights = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    weights.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return { json, weights: weights.buffer, file };
}

/** Loads a model saved with {@link save}. Errors are typed and name the file and cause. */
export async function load(dir: string): Promise<Model> {
  const { json, weights, file } = await readModelFiles(dir);
  try {
    return fromArtifacts({ json, weights }, file);
  } catch (e) {
    if (e instanceof SerializationError || (e instanceof Error && e.name !== 'Error')) throw e;
    throw new SerializationError((e as Error).message, file);
  }
}
