/**
 * Gradients of the tfjs-core kernels Bonsai's ops, losses and training use, written with
 * public tfjs-core ops only and registered against the app's single tfjs-core
 * (`tf.registerGradient`). tfjs-core alone registers none; its own `register_all_gradients`
 * module cannot be imported from plain Node ESM and, bundled, would ship a second copy of
 * tfjs-core. Conv2D and depthwise convolutions get their gradients from `tf.customGrad` in
 * `kernels/conv.ts` (the wasm backend lacks their backprop-filter kernels).
 */
import * as tf from '@tensorflow/tfjs-core';
import { arithmeticGrads } from './arithmetic';
import { nnGrads } from './nn';
import { reduceGrads } from './reduce';
import { shapeGrads } from './shape';
import { unaryGrads } from './unary';
import type { Grad } from './util';

export type { Grad } from './util';

/** Every gradient config Bonsai registers. */
export const bonsaiGradients: readonly Grad[] = [...arithmeticGrads, ...unaryGrads, ...reduceGrads, ...shapeGrads, ...nnGrads];

/**
 * Registers Bonsai's gradients for kernels that have none yet (an app that already loaded
 * tfjs's own, e.g. through @tensorflow/tfjs-layers, keeps them). Idempotent.
 */
export function registerGradients(): void {
  for (const g of bonsaiGradients) {
    if (tf.getGradient(g.kernelName) === undefined) tf.registerGradient(g as tf.GradConfig);
  }
}

registerGradients();
