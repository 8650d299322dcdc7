/** @bonsai/models — model zoo builders on @bonsai/core. */
export { bnMomentum, mlp300100, type ModelOptions } from './mlp';
export { lenet5, smallCnn, vggNet } from './cnn';
export { resnet, resnet20, resnet56, resnet50 } from './resnet';
export { mobileNet } from './mobilenet';
export { concatNet } from './concat';
export { vit, type VitOptions } from './vit';
