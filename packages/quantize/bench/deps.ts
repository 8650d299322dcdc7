/** Models and data the bench uses (devDependencies of @bonsai/quantize). */
export { smallCnn } from '@bonsai/models';
export { epochBatches, loadMnist, toTensors } from '@bonsai/datasets';
