/**
 * @bonsai/quantize — observers, int8/uint8/int4 schemes, fake quantization with a
 * straight-through gradient, dynamic / static / quantization-aware quantization, batch-norm
 * folding, and export (packed, optionally sparse int8 in Bonsai's format; uint8/float16 in the
 * tfjs weights-manifest format). Quantization shrinks the file; the wasm backend has no int8 kernels.
 */
export { qRange, resolveScheme, type QuantDtype, type QuantScheme, type ResolvedScheme } from './scheme';
export { channelMinMax, computeQParams, dequantizeArray, quantizeArray, roundHalfEven, type QParams } from './qparams';
export { dequantize, fakeQuant, fakeQuantMinMax, quantize } from './fake-quant';
export {
  createObserver, GridObserver, KlObserver, klThreshold, MinMaxObserver, MovingAverageMinMaxObserver, MseObserver, PercentileObserver,
  type Observer, type ObserverKind, type ObserverSpec,
} from './observers';
export { foldBatchNorm, foldablePairs, type FoldablePair } from './fold-bn';
export {
  activationTargets, weightTargets, DEFAULT_ACTIVATION_SCHEME, DEFAULT_WEIGHT_SCHEME,
  type QuantizeOptions, type TensorQuantOptions,
} from './placement';
export { buildQuantizedModel, QuantizedModel, type QuantizedTensor, type QuantMode } from './quantized-model';
export { calibrate, convert, prepareQat, prepareStatic, PreparedModel, type CalibrateOptions, type CalibrationData } from './prepare';
export { quantizeDynamic } from './dynamic';
export {
  fromQuantizedArtifacts, loadQuantized, saveQuantized, toQuantizedArtifacts, QUANTIZATION_FORMAT, QUANTIZED_WEIGHTS_FILE,
  type ActivationEntry, type CodebookWeightEntry, type QuantizationJSON, type QuantizedArtifacts, type QuantizedSizes, type QuantizedWeightEntry, type SaveQuantizedOptions,
} from './format';
export { decodeEntropy, encodeEntropy, ENTROPY_ENCODINGS, type EntropyEncoding } from './entropy-coding';
export { decodeValues, encodeValues, packBits, unpackBits, type WeightEncoding } from './packing';
export { deflate, gzipSize, inflate } from './compress';
export { encodeFloat16, encodeTfjsWeights, quantizeTfjsAffine, saveTfjsQuantized, tfjsAffineParams, type TfjsExportOptions, type TfjsQuantDtype } from './tfjs-export';
export { fromFloat16Bits, isFloat16Exact, toFloat16Bits } from './float16';
export { equalizablePairs, equalizeCrossLayer, type EqualizedPair, type EqualizeOptions } from './equalize';
export { chooseActivationObservers, type ObserverChoice, type ObserverChoiceOptions } from './observer-choice';
export { adaRound, type AdaRoundOptions, type AdaRoundReport } from './adaround';
export { correctBias, type BiasCorrectionOptions, type BiasCorrectionReport } from './bias-correction';
export {
  applyPrecisions, chooseMixedPrecision, roundToPrecision,
  type LayerSensitivity, type MixedPrecisionOptions, type MixedPrecisionPlan, type WeightPrecision,
} from './mixed-precision';
export { quantizeMixed } from './mixed-save';
export { centroidGradients, clusteredValues, clusterWeights, kmeans1d, type ClusterOptions, type ClusterWeightsOptions, type Clustering } from './cluster';
export { CODEBOOK_LAYOUT, decodeCodebook, encodeCodebook, MAX_CODEBOOK_SIZE } from './codebook';
export { centroidFineTuning } from './cluster-fine-tune';
export { huffmanDecode, huffmanEncode } from './huffman';
export { enableIntegerKernels, FUSED_ACTIVATIONS, INT8_KERNELS, IntegerPlan, type KernelBuildInput, type KernelEntry, type PlanRunOptions, type PlanStepInfo, type StepKind } from './integer';
export { blockReconstruction, reconstructionBlocks, type BlockReconstructionOptions, type BlockReconstructionReport } from './block-reconstruction';
export type { RoundingOptions } from './soft-rounding';
export { activationSensitivity, withFloatActivations, type ActivationSensitivity, type ActivationSensitivityOptions } from './activation-sensitivity';
