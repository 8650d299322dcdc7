import { IoError, SerializationError } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModelArtifacts } from './import';

/**
 * What {@link readModelFileList} needs of a file: a browser `File` (from `<input type=file>`
 * or drag-and-drop) or Node 20's `File`/`Blob` with a name.
 */
export interface ModelFile {
  readonly name: string;
  /** Set by `<input webkitdirectory>`: `folder/model.json`. */
  readonly webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Last path segment of a manifest path or file name (`./a/group1-shard1of2.bin` -> `group1-shard1of2.bin`). */
function baseName(path: string): string {
  return path.split(/[\\/]/).filter((s) => s !== '' && s !== '.').at(-1) ?? path;
}

function shown(f: ModelFile): string {
  return f.webkitRelativePath || f.name;
}

/** The model.json among `files`: the only `.json` file, or the one named `model.json`. */
function pickModelJson(files: readonly ModelFile[]): ModelFile {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length === 1) return jsons[0]!;
  const named = jsons.filter((f) => f.name === 'model.json');
  if (named.length === 1) return named[0]!;
  const list = files.map(shown).join(', ') || 'none';
  throw new IoError(jsons.length === 0 ? `no model.json among the selected files (${list})` : `${jsons.length} .json files and none (or several) named model.json: ${jsons.map(shown).join(', ')}; select one model's files`, { path: 'model.json', reason: jsons.length === 0 ? 'ENOENT' : undefined });
}

/** The weight files of the manifest, in manifest order, looked up by base name. */
function shardsOf(manifest: tf.io.WeightsManifestConfig, files: readonly ModelFile[], modelFile: string): ModelFile[] {
  const byName = new Map<string, ModelFile>();
  for (const f of files) byName.set(baseName(f.name), f);
  const paths = manifest.flatMap((group) => group.paths);
  const missing = paths.filter((p) => !byName.has(baseName(p)));
  if (missing.length > 0) {
    throw new IoError(`weight file${missing.length > 1 ? 's' : ''} named by ${modelFile} ${missing.length > 1 ? 'are' : 'is'} not among the selected files: ${missing.map((p) => `"${p}"`).join(', ')} (select model.json together with all ${paths.length} .bin shard${paths.length > 1 ? 's' : ''})`, { path: baseName(missing[0]!), reason: 'ENOENT' });
  }
  return paths.map((p) => byName.get(baseName(p))!);
}

async function parseModelJson(file: ModelFile): Promise<tf.io.ModelJSON> {
  const text = new TextDecoder().decode(await file.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SerializationError(`not valid JSON: ${(e as Error).message}`, shown(file));
  }
  const j = json as Partial<tf.io.ModelJSON> | null;
  if (j === null || typeof j !== 'object' || j.modelTopology === undefined || !Array.isArray(j.weightsManifest)) {
    throw new SerializationError('not a tfjs model.json: needs "modelTopology" and a "weightsManifest" array', shown(file));
  }
  return j as tf.io.ModelJSON;
}

async function concatShards(shards: readonly ModelFile[]): Promise<ArrayBuffer> {
  const parts = await Promise.all(shards.map((f) => f.arrayBuffer()));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out.buffer;
}

/**
 * Reads a tfjs model (LayersModel or GraphModel) from user-selected files — `model.json` and its
 * `.bin` shards in any order, e.g. an `<input type=file multiple>`'s `FileList` or dropped files —
 * into what @bonsai/interop's `importModel` takes: the parsed model.json and the shards
 * concatenated in manifest order. Shards are matched by base name; other files are ignored.
 * @throws IoError naming a missing shard or model.json; SerializationError for a model.json that is not one.
 */
export function readModelFileList(files: Iterable<ModelFile> | ArrayLike<ModelFile>): Promise<LayersModelArtifacts> {
  return readFiles(Array.from(files as ArrayLike<ModelFile>));
}

async function readFiles(list: readonly ModelFile[]): Promise<{ modelJson: tf.io.ModelJSON; weights: ArrayBuffer }> {
  const modelFile = pickModelJson(list);
  const modelJson = await parseModelJson(modelFile);
  const weights = await concatShards(shardsOf(modelJson.weightsManifest, list, shown(modelFile)));
  return { modelJson, weights };
}

/**
 * The same files as tfjs `ModelArtifacts` (weight specs, weight data, format, signature, user
 * metadata), for stock loaders or `tf.io` handlers. Errors as {@link readModelFileList}.
 */
export async function filesToModelArtifacts(files: Iterable<ModelFile> | ArrayLike<ModelFile>): Promise<tf.io.ModelArtifacts> {
  const { modelJson, weights } = await readFiles(Array.from(files as ArrayLike<ModelFile>));
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => [manifest.flatMap((g) => g.weights), weights]);
}

/**
 * A `tf.io.IOHandler` over user-selected files (any order), for stock tfjs:
 * `tf.loadLayersModel(filesHandler(input.files))` or tfjs-converter's `loadGraphModel(filesHandler(files))`.
 * Unlike tfjs's `io.browserFiles`, model.json need not come first. Errors as {@link readModelFileList}, when loading.
 */
export function filesHandler(files: Iterable<ModelFile> | ArrayLike<ModelFile>): tf.io.IOHandler {
  const list = Array.from(files as ArrayLike<ModelFile>);
  return { load: () => filesToModelArtifacts(list) };
}
