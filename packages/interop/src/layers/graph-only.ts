import type { Unexportable } from './types';

const GRAPH_MODEL = 'a TF-graph op with no tfjs-layers layer: export such models as a GraphModel';

const CUSTOM_LAYER = 'a transformer op that tfjs-layers 4.22 has no layer for (Keras writes it as a custom layer, which model.json cannot carry): export such models as a GraphModel';

/** Core ops that only the GraphModel format expresses (and `split`, which Keras writes as a Lambda). */
export const graphOnlyUnexportable: Unexportable = {
  split: 'tfjs-layers 4.22 has no split layer (Keras uses a Lambda, which model.json cannot carry)',
  padChannels: GRAPH_MODEL,
  stridedSlice: GRAPH_MODEL,
  mean: GRAPH_MODEL,
  batchMatMul: GRAPH_MODEL,
  square: GRAPH_MODEL,
  sqrt: GRAPH_MODEL,
  rsqrt: GRAPH_MODEL,
  maximumConst: GRAPH_MODEL,
  minimumConst: GRAPH_MODEL,
  multiHeadAttention: CUSTOM_LAYER,
  addPositionEmbedding: CUSTOM_LAYER,
  prependClassToken: CUSTOM_LAYER,
};
