import { readJson, SerializationError, type Model } from '@bonsai/core';
import { exportLayersModel, type ExportOptions } from './export';
import { exportGraphModel, type GraphExportOptions } from './graph-model/export';
import { importGraphModel, importGraphModelArtifacts, type GraphImportOptions } from './graph-model/import';
import { graphModelProvenance } from './graph-model/provenance';
import { detectFormat, importLayersArtifacts, importLayersModel, resolveModelJson, type ImportOptions, type LayersModelArtifacts } from './import';

/** Options of {@link importModel}: those of the LayersModel and the GraphModel importer. */
export type ModelImportOptions = ImportOptions & GraphImportOptions;

/** Options of {@link exportModel}: those of the LayersModel and the GraphModel writer. */
export type ModelExportOptions = ExportOptions & GraphExportOptions;

function parsed(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    throw new SerializationError(`not valid JSON: ${(e as Error).message}`, 'model.json');
  }
}

/**
 * Imports a tfjs model of either format, detected from model.json: a converter GraphModel
 * (`"format": "graph-model"` or a `modelTopology.node` list) goes to {@link importGraphModel},
 * anything else to {@link importLayersModel}. `source` is a `model.json` path, its folder, or
 * in-memory `{ modelJson, weights }`.
 */
export async function importModel(source: string | LayersModelArtifacts, options: ModelImportOptions = {}): Promise<Model> {
  if (typeof source === 'string') {
    const { file } = await resolveModelJson(source);
    return detectFormat(await readJson(file)) === 'graph-model' ? importGraphModel(source, options) : importLayersModel(source, options);
  }
  const modelJson = parsed(source.modelJson);
  const art = { modelJson, weights: source.weights };
  return detectFormat(modelJson) === 'graph-model' ? importGraphModelArtifacts(art, options) : importLayersArtifacts(art, options);
}

/**
 * Writes `model` back in the format it came in: a GraphModel (same node names and signature)
 * when it was imported from one, else a LayersModel. Node only.
 */
export async function exportModel(model: Model, dir: string, options: ModelExportOptions = {}): Promise<{ format: 'graph-model' | 'layers-model'; files: string[]; modelJsonBytes: number; weightBytes: number }> {
  if (graphModelProvenance(model)) return { format: 'graph-model', ...(await exportGraphModel(model, dir, options)) };
  return { format: 'layers-model', ...(await exportLayersModel(model, dir, options)) };
}
