/**
 * @bonsai/interop — import a tfjs LayersModel (Keras topology) into Bonsai and export a
 * (pruned, quantized) Bonsai model back to a model.json that stock `tf.loadLayersModel` loads.
 */
export { InteropError, type InteropDetails } from './errors';
export { importLayersModel, importLayersArtifacts, readLayersModelFiles, resolveModelJson, detectFormat, LAYERS_MODEL_FILE, type LayersModelArtifacts, type ImportOptions } from './import';
export { exportLayersModel, toLayersArtifacts, type ExportOptions, type ExportedArtifacts, type LayersModelJSON, type ExportedWeightSpec } from './export';
export type { WeightQuantization } from './quantize-weights';
export { layersTableMarkdown } from './layers/table';
export { LAYER_ENTRIES, LAYER_CONVERTERS, LAYER_EMITTERS, LAYER_UNEXPORTABLE, KERAS_ACTIVATIONS, type LayerEntry, type LayerImporter, type LayerExporter, type ExportedLayer, type ImportContext } from './layers/index';
export { importGraphModel, importGraphModelArtifacts, readGraphModelFiles, GRAPH_MODEL_FILE, type GraphModelArtifacts, type GraphImportOptions } from './graph-model/import';
export { graphModelProvenance, type GraphModelProvenance } from './graph-model/provenance';
export { GRAPH_OP_IMPORTERS, GRAPH_OP_EMITTERS, supportedGraphOps } from './graph-model/table';
export { exportGraphModel, toGraphModelArtifacts, type GraphExportOptions, type ExportedGraphModel, type GraphModelJSON, type GraphNodeJSON, type GraphWeightSpec } from './graph-model/export';
export { graphModelOpTables, GRAPH_OP_TARGETS, GRAPH_OP_WRITTEN_AS } from './graph-model/docs';
export { importModel, exportModel, type ModelImportOptions, type ModelExportOptions } from './model-io';
export { BONSAI_METADATA_KEY, readPreprocessing, withPreprocessing } from './preprocessing';
export { readModelFileList, filesToModelArtifacts, filesHandler, type ModelFile } from './browser-files';
