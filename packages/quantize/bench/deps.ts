/**
 * The bench needs @bonsai/models and @bonsai/datasets, which are not (yet) declared
 * devDependencies of @bonsai/quantize; until they are, import their built dist by path.
 */
export { smallCnn } from '../../models/dist/index.js';
export { epochBatches, loadMnist, toTensors } from '../../datasets/dist/index.js';
