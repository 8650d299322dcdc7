/**
 * @bonsai/int8-kernels — int8 WebAssembly SIMD kernels: conv2d (NHWC, im2col GEMM), depthwise
 * conv2d and dense, int32 accumulation, per-channel requantization with fused bias + ReLU/ReLU6.
 * A SIMD128 build (i32x4.dot_i16x8_s) runs everywhere; a relaxed-SIMD build
 * (i32x4.relaxed_dot_i8x16_i7x16_add_s) is chosen at run time when the engine validates it.
 * Results are bit-exact to the JavaScript reference in `reference.ts`.
 */
export { relaxedSimdSupported, simd128Supported } from './detect';
export { convGeometry, type ConvGeometry, type WindowOptions } from './geometry';
export { requantConstants, requantize, roundHalfEven, type ActivationQuant, type FusedActivation, type Requant, type RequantOptions } from './requant';
export { addReference, conv2dReference, denseReference, depthwiseReference, globalAvgPoolReference, maxPoolReference, ReferenceKernels, type Int8LayerFactory, type ReferenceInput } from './reference';
export { dotAddExact, instantiateKernels, WASM_URLS, type InstantiateOptions, type KernelVariant } from './module';
export { globalAvgPoolRequant, Int8Kernels, isResident, loadInt8Kernels, type GlobalAvgPoolOptions, type Int8Input, type LoadOptions, type RelaxedGemm, type ResidentTensor, type WasmInt8Layer, type AddOptions, type Int8BinaryLayer, type Conv2dOptions, type DenseOptions, type DepthwiseOptions, type Int8Layer, type Int8Tensor } from './layers';
export { PROBABILITY_GRID, type AttentionOptions, type ProjectionWeights } from './attention-math';
export { batchMatMulRequant, type BatchMatMulOptions } from './matmul';
export { attentionReference, batchMatMulReference } from './reference-attention';
