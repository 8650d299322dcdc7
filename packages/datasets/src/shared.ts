/** Exports that run anywhere (Node, browsers, workers): no `node:*` imports, no native modules. */
export { DatasetError } from './errors';
export { shuffleInPlace, DEFAULT_SEED } from './shuffle';
/** Core's one mini-batch type (`{ x, y }`), re-exported for convenience. */
export type { Batch } from '@bonsai/core';
export type { Split, MnistSplit, MnistData } from './types';
export { batches, epochBatches, toTensors, type BatchOptions, type TensorOptions } from './batches';
export { syntheticClassification, type SyntheticOptions, type SyntheticSplit } from './synthetic';
export { Dataset, type DataBatch, type StreamOptions, type StreamProgress, type SplitOptions } from './dataset';
export type { SampleSource } from './sample-source';
export { trainingStream, type TrainingStream, type TrainingStreamOptions } from './train-stream';
export { arrayDataset, type ArrayDatasetOptions, type ShapedArray } from './array-dataset';
export { fromSplit } from './from-split';
export { parseNpy, encodeNpy, halfToFloat, type NpyArray, type NpyData, type NpyDtype } from './npy/npy';
export { parseNpz } from './npy/npz';
export {
  resolvePreprocess,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type Preprocess,
  type PreprocessPreset,
  type Normalization,
  type ResolvedNormalization,
} from './image/preprocess';
export { writePixels, centreCrop, type PixelPlan } from './image/pixels';
export { imageSource, type ImageOptions, type ImageEntry, type ImageListing, type ImageDecoder } from './image/image-source';
export { formatOfName, sniffFormat, IMAGE_EXTENSIONS, type RawImage, type ImageFormat } from './image/raw-image';
export { readHeader, type ImageHeader } from './image/header';
export { listFiles, relativePath, type NamedBlob, type ListFilesOptions } from './browser/file-listing';
export { sortNames } from './sort-names';
