import { SerializationError } from '@bonsai/core';
import { detectFormat } from '@bonsai/interop';
import { QUANTIZED_WEIGHTS_FILE } from '@bonsai/quantize';
import type { ModelFormat } from '../protocol';

/** A model read from picked or dropped files: its model.json, its weight shards concatenated, and the format. */
export interface ModelFiles {
  name: string;
  format: ModelFormat;
  json: Record<string, unknown>;
  /** The manifest's weight files, concatenated in manifest order. */
  weights: ArrayBuffer;
  /** Bonsai's packed integer weights (`weights.q.bin`) of an int8 download, when present. */
  quantized?: Uint8Array;
  /** Bytes of every file the model uses. */
  bytes: number;
}

const baseName = (path: string): string => path.split('/').pop() ?? path;

function manifestPaths(json: Record<string, unknown>, file: string): string[] {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new SerializationError('model.json has no "weightsManifest" list', file);
  return manifest.flatMap((g: unknown) => {
    const paths = typeof g === 'object' && g !== null ? (g as { paths?: unknown }).paths : undefined;
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) throw new SerializationError('a weightsManifest group has no "paths" list of file names', file);
    return paths as string[];
  });
}

/**
 * Reads a tfjs model (LayersModel or GraphModel: `model.json` + its weight shards) or a Bonsai
 * folder (model.json + weights.bin, + weights.q.bin for int8) from `File`s, matching the
 * manifest's paths to the files by name. What `tf.io.browserFiles` does, plus format detection
 * and Bonsai's int8 file.
 * @throws SerializationError naming the file: no or several model.json, a shard missing, bad JSON.
 */
export async function readModelFiles(files: readonly File[]): Promise<ModelFiles> {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  const pick = jsons.length === 1 ? jsons[0] : jsons.find((f) => f.name === 'model.json');
  if (!pick) {
    throw new SerializationError(jsons.length === 0 ? 'no model.json among the picked files (pick model.json and its weight files together)' : `several .json files (${jsons.map((f) => f.name).join(', ')}) and none is named model.json`, 'model.json');
  }
  let json: unknown;
  try {
    json = JSON.parse(await pick.text()) as unknown;
  } catch (e) {
    throw new SerializationError(`not valid JSON: ${(e as Error).message}`, pick.name);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SerializationError('model.json must hold a JSON object', pick.name);
  const obj = json as Record<string, unknown>;
  const byName = new Map(files.map((f) => [baseName(f.name), f]));
  const parts: ArrayBuffer[] = [];
  let bytes = pick.size;
  for (const path of manifestPaths(obj, pick.name)) {
    const f = byName.get(baseName(path));
    if (!f) throw new SerializationError(`weight file "${path}" named in the manifest was not picked (pick model.json and every weight file together)`, pick.name);
    parts.push(await f.arrayBuffer());
    bytes += f.size;
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    weights.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  const format: ModelFormat = obj.format === 'bonsai-model' ? 'bonsai' : detectFormat(obj);
  let quantized: Uint8Array | undefined;
  if (format === 'bonsai' && obj.quantization !== undefined) {
    const q = byName.get(QUANTIZED_WEIGHTS_FILE);
    if (!q) throw new SerializationError(`this int8 model needs ${QUANTIZED_WEIGHTS_FILE} too (pick model.json, weights.bin and ${QUANTIZED_WEIGHTS_FILE} together)`, pick.name);
    quantized = new Uint8Array(await q.arrayBuffer());
    bytes += q.size;
  }
  const folder = files.find((f) => f.webkitRelativePath)?.webkitRelativePath.split('/')[0];
  const shard = manifestPaths(obj, pick.name)[0];
  const fromShard = shard && !/^group\d+-shard/.test(baseName(shard)) ? baseName(shard).replace(/\.bin$/, '') : undefined;
  const name = pick.name !== 'model.json' ? pick.name.replace(/\.json$/, '') : (folder ?? (fromShard === 'weights' ? undefined : fromShard) ?? 'model');
  return { name, format, json: obj, weights: weights.buffer, ...(quantized ? { quantized } : {}), bytes };
}
