import { IoError, load, readJson, SerializationError, type Model } from '@bonsai/core';
import { importGraphModel, importLayersModel } from '@bonsai/interop';
import { loadQuantized } from '@bonsai/quantize';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What a model folder holds: a Bonsai model (float or int8) or a tfjs LayersModel / GraphModel. */
export type ModelFormat = 'bonsai' | 'bonsai-int8' | 'layers-model' | 'graph-model';

/** Human names of the formats, as printed by `inspect` and the reports. */
export const FORMAT_NAMES: Readonly<Record<ModelFormat, string>> = {
  bonsai: 'Bonsai float32',
  'bonsai-int8': 'Bonsai int8 (per-channel; Bonsai\'s own format, not loadable by stock tfjs)',
  'layers-model': 'tfjs LayersModel',
  'graph-model': 'tfjs GraphModel',
};

/** A located model: its folder, its model.json and the parsed JSON. */
export interface ModelLocation {
  /** Path as the user gave it. */
  source: string;
  dir: string;
  modelJson: string;
  format: ModelFormat;
  json: Record<string, unknown>;
}

/** The format a parsed model.json declares (by its `format` field, else by its shape). */
export function formatOf(json: Record<string, unknown>, file: string): ModelFormat {
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  if (json.format === 'bonsai-model') return 'quantization' in json ? 'bonsai-int8' : 'bonsai';
  if (json.format === 'graph-model' || Array.isArray(topology?.node)) return 'graph-model';
  if (json.format === 'layers-model' || (topology && ('class_name' in topology || 'model_config' in topology))) return 'layers-model';
  throw new SerializationError('not a model I know: expected a Bonsai model.json ("format": "bonsai-model") or a tfjs LayersModel / GraphModel model.json', file);
}

/**
 * Finds and classifies the model at `path` (a `model.json` file or the folder holding one).
 * @throws IoError when the path does not exist; SerializationError when it is not a model.
 */
export async function locateModel(path: string, source = path): Promise<ModelLocation> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' ? 'no such model file or folder' : 'cannot read the model', { path: source, reason: code, cause: e });
  }
  const modelJson = isDir ? await modelJsonIn(path, source) : path;
  if (!isDir && !basename(path).endsWith('.json')) throw new SerializationError('expected a model.json file or the folder holding it', source);
  const json = await readJson(modelJson);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SerializationError('model.json must hold a JSON object', modelJson);
  const record = json as Record<string, unknown>;
  return { source, dir: isDir ? path : dirname(path), modelJson, format: formatOf(record, modelJson), json: record };
}

/** `dir/model.json`, else the folder's only `*.json` file (converters often name it after the model). */
async function modelJsonIn(dir: string, source: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new IoError('cannot list the model folder', { path: source, reason: (e as NodeJS.ErrnoException).code, cause: e });
  }
  if (names.includes('model.json')) return join(dir, 'model.json');
  const json = names.filter((n) => n.endsWith('.json') && !n.startsWith('report'));
  if (json.length === 1) return join(dir, json[0]!);
  throw new IoError(json.length ? `holds no model.json and several .json files (${json.join(', ')}): name the model file` : 'holds no model.json', { path: source, reason: 'ENOENT' });
}

/** Loads a located model into a Bonsai {@link Model} (an int8 folder as a QuantizedModel). */
export async function loadLocated(loc: ModelLocation, seed = 0): Promise<Model> {
  switch (loc.format) {
    case 'bonsai':
      return load(loc.dir);
    case 'bonsai-int8':
      return loadQuantized(loc.dir);
    case 'layers-model':
      return importLayersModel(loc.modelJson, { seed });
    case 'graph-model':
      return importGraphModel(loc.modelJson, { seed });
  }
}
