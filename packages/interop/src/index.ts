/**
 * @bonsai/interop — import a tfjs LayersModel (Keras topology) into Bonsai and export a
 * (pruned, quantized) Bonsai model back to a model.json that stock `tf.loadLayersModel` loads.
 */
export { InteropError, type InteropDetails } from './errors';
export { importLayersModel, importLayersArtifacts, readLayersModelFiles, LAYERS_MODEL_FILE, type LayersModelArtifacts, type ImportOptions } from './import';
export { exportLayersModel, toLayersArtifacts, type ExportOptions, type ExportedArtifacts, type LayersModelJSON, type ExportedWeightSpec } from './export';
export { type WeightQuantization } from './quantize-weights';
export { LAYER_CONVERTERS } from './import-layers';
export { LAYER_EMITTERS } from './export-layers';
