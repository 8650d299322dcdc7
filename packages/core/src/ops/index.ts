import './conv';
import './dense';
import './norm';
import './activation';
import './pool';
import './merge';
import './reshape';
import './dropout';

export * from './spec';
export * from './registry';
export { conv2dOp, depthwiseConv2dOp, conv2dSchema, depthwiseConv2dSchema, lastAxisFold, type Conv2dAttrs, type Conv2dOptions, type DepthwiseConv2dAttrs, type DepthwiseConv2dOptions } from './conv';
export { denseOp, denseSchema, type DenseAttrs, type DenseOptions } from './dense';
export { batchNormOp, layerNormOp, batchNormSchema, layerNormSchema, type BatchNormAttrs, type BatchNormOptions, type LayerNormAttrs, type LayerNormOptions } from './norm';
export { activationOps, softmaxOp } from './activation';
export { maxPoolOp, avgPoolOp, globalAvgPoolOp, poolSchema, type PoolAttrs, type PoolOptions } from './pool';
export { addOp, concatOp } from './merge';
export { splitOp, flattenOp, reshapeOp, inputOp, splitSchema, reshapeSchema, inputSchema, type SplitAttrs, type ReshapeAttrs, type ReshapeOptions, type InputAttrs } from './reshape';
export { dropoutOp, dropoutSchema, type DropoutAttrs, type DropoutOptions } from './dropout';
export {
  outSize, readAttrs, posIntAttr, numberAttr, boolAttr, pairAttr, optionalPairAttr, enumAttr, intListAttr, indexAttr,
  type AttrField, type AttrSchema, type AttrsOf, type OptionsOf,
} from './attrs';
export { pad2dOp, crop2dOp, type Pad2dAttrs, type Crop2dAttrs } from './pad';
export { resize2dOp, type Resize2dAttrs } from './resize';
export { mulOp, subOp, maximumOp, minimumOp, broadcastShape } from './elementwise';
export { extraActivationOps, leakyReluOp, eluOp, seluOp, swishOp, hardSigmoidOp, geluExactOp, clippedReluOp, rescaleOp } from './activation-extra';
export { preluOp, type PreluAttrs } from './prelu';
export { globalMaxPoolOp } from './global-max-pool';
export { permuteOp, type PermuteAttrs } from './transpose';
export { spatialReshapeOp, type SpatialReshapeAttrs } from './spatial-reshape';
export { spatialDropoutOp } from './spatial-dropout';
export { natListAttr, nullableNumberAttr } from './list-attrs';
export { constBinaryOps, constBinarySchema, type ConstBinaryAttrs } from './const-binary';
export { identityOp, pointwiseOps } from './pointwise';
export { stridedSliceOp, stridedSliceSchema, type StridedSliceAttrs } from './strided-slice';
export { meanOp, meanSchema, type MeanAttrs } from './reduce';
export { batchMatMulOp, batchMatMulSchema, type BatchMatMulAttrs } from './batch-matmul';
export { padChannelsOp, padChannelsSchema, type PadChannelsAttrs } from './channel-pad';
export { multiHeadAttentionOp, multiHeadAttentionSchema, type MultiHeadAttentionAttrs, type MultiHeadAttentionOptions } from './attention';
export { addPositionEmbeddingOp, prependClassTokenOp } from './embedding';
