/** Weight storage of an exported model: tfjs-manifest dtypes that stock loaders dequantize. */
export type WeightQuantization = 'uint8' | 'uint16' | 'float16';

/** tfjs manifest `quantization` field. */
export interface ManifestQuantization {
  dtype: WeightQuantization;
  scale?: number;
  min?: number;
  original_dtype: 'float32';
}
