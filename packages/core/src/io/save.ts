import { ConfigError, IoError, SerializationError } from '../errors';
import type { Model } from '../model';
import { checkFolderPath, awaitFolder, writeFilesAtomic } from './atomic-folder';
import { readJson, resolveInside } from './files';
import { entryBytes, fromArtifacts, MODEL_FILE, toArtifacts, validateModelJson, WEIGHTS_FILE, type LoadOptions, type ModelJSON } from './format';
import { MAX_WEIGHT_BYTES, readFileInto, regularFileSize } from './read-checked';

function checkModel(model: Model): void {
  const m = model as Partial<Model> | null | undefined;
  if (typeof m !== 'object' || m === null || !(m.params instanceof Map) || typeof m.graph !== 'object' || m.graph === null) {
    throw new ConfigError(`save needs a Model, got ${m === null ? 'null' : typeof m}`, { option: 'model' });
  }
}

/**
 * Saves `model` to the folder `dir` as model.json + weights.bin. The folder is replaced as a whole
 * or not at all (see `writeFilesAtomic`): a crash or a failed write leaves the previous model.
 * A bad `model` or `dir` is a ConfigError, a file-system failure an IoError. Node only.
 */
export async function save(model: Model, dir: string, extra: Record<string, unknown> = {}): Promise<{ modelJson: string; bytes: number }> {
  checkModel(model);
  checkFolderPath(dir);
  const art = await toArtifacts(model);
  const json: ModelJSON = { ...art.json, ...extra };
  const text = JSON.stringify(json);
  await writeFilesAtomic(dir, [
    { name: WEIGHTS_FILE, data: new Uint8Array(art.weights) },
    { name: MODEL_FILE, data: text },
  ]);
  return { modelJson: text, bytes: art.weights.byteLength + Buffer.byteLength(text) };
}

/**
 * Reads model.json and its weight files from `dir` (paths confined to the folder). Validates
 * before trusting: every weight file is `stat`ed (regular file, size) and the sizes compared with
 * the manifest before a byte is read; the weights are read straight into one buffer of the
 * declared size (at most 2 GiB, else IoError TOO_LARGE). Repairs a folder a killed save left
 * half-swapped. Node only.
 */
export async function readModelFiles(dir: string): Promise<{ json: ModelJSON; weights: ArrayBuffer; file: string }> {
  const { join } = await import('node:path');
  checkFolderPath(dir);
  await awaitFolder(dir);
  const file = join(dir, MODEL_FILE);
  const json = validateModelJson(await readJson(file), file);
  const plan: Array<{ full: string; size: number }> = [];
  let total = 0;
  for (const group of json.weightsManifest) {
    const expected = group.weights.reduce((a, e) => a + entryBytes(e), 0);
    if (!Number.isFinite(expected)) throw new SerializationError('weight entry with an unsupported dtype', file);
    if (total + expected > MAX_WEIGHT_BYTES) {
      throw new IoError(`the manifest describes ${total + expected} bytes of weights, over the ${MAX_WEIGHT_BYTES}-byte limit`, { path: file, reason: 'TOO_LARGE' });
    }
    let got = 0;
    for (const p of group.paths) {
      const full = await resolveInside(dir, p);
      const size = await regularFileSize(full);
      plan.push({ full, size });
      got += size;
    }
    if (got !== expected) {
      throw new SerializationError(`weights hold ${got} bytes, the manifest describes ${expected} bytes (truncated or corrupt)`, file);
    }
    total += expected;
  }
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const { full, size } of plan) {
    await readFileInto(full, weights, offset, size, file);
    offset += size;
  }
  return { json, weights: weights.buffer, file };
}

/**
 * Loads a model saved with {@link save}. Errors are typed and name the file and cause:
 * IoError for file-system failures, SerializationError for corrupt or inconsistent content
 * (including NaN/Infinity weights unless `allowNonFinite`). Node only.
 */
export async function load(dir: string, options: Omit<LoadOptions, 'file'> = {}): Promise<Model> {
  const { json, weights, file } = await readModelFiles(dir);
  try {
    return fromArtifacts({ json, weights }, { ...options, file });
  } catch (e) {
    if (e instanceof SerializationError || (e instanceof Error && e.name !== 'Error')) throw e;
    throw new SerializationError((e as Error).message, file);
  }
}
