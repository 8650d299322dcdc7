/**
 * @bonsai/core — graph IR, op registry, executor with autodiff, masks, training and save/load
 * on tfjs-core. Importing it registers Bonsai's ops and the gradients they need against the
 * app's own tfjs-core (none of tfjs-core is bundled).
 */
import './gradients/index';

export * from './errors';
export * from './backend';
export * from './ir/types';
export { Graph, type GraphJSON } from './ir/graph';
export { compactGraphJson } from './ir/compact-json';
export { GraphBuilder, type NameOption } from './ir/builder';
export * from './ops/index';
export { Param } from './param';
export { Model, FUSE_MIN_BATCH, type RunOptions, type RunResult, type CreateOptions } from './model';
export { resolveInputs, type ModelInputs } from './inputs';
export { initialValue, fans } from './init';
export * from './train/losses';
export * from './train/optimizers';
export * from './train/schedules';
export * from './train/train';
export { recalibrateBatchNorm, recalibrateBatchNormAsync } from './train/batch-norm-stats';
export * from './io/format';
export { save, load, readModelFiles } from './io/save';
export { resolveInside, writeFilesAtomic, recoverFolder, readArrayBuffer, readJson, type FolderFile } from './io/files';
export { MAX_WEIGHT_BYTES, readFileChecked, regularFileSize } from './io/read-checked';
export { registerGradients, bonsaiGradients, type Grad, type RegisterGradientsOptions } from './gradients/index';
export { createRng, shuffledIndices, hashSeed, normal, type Rng } from './util/rng';
export { axisMagnitudes, axisMagnitudeTensors, tensorAxisMagnitudes, entryMagnitudes, magnitudeOf, smallestK, checkNormOrder } from './util/magnitude';
export { heapKernelsFor, type HeapKernels } from './util/heap-kernels';
export { heapBackend, withValues, type Flat, type HeapBackend } from './util/tensor-values';
export { conv2d as trainableConv2d, depthwiseConv2d as trainableDepthwiseConv2d, setSimdConv, setSimdFilterGrad, setWinograd } from './kernels/conv';
