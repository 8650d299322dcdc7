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

/** Options of {@link registerGradients}. */
export interface RegisterGradientsOptions {
  /**
   * Also replace gradients already registered (tfjs's own, which @tensorflow/tfjs-layers and
   * @tensorflow/tfjs load with their copy of tfjs-core). Bonsai's equal them (tested) and train
   * faster on wasm.
   */
  replace?: boolean;
}

/**
 * Registers Bonsai's gradients for kernels that have none yet (an app that already loaded
 * tfjs's own, e.g. through @tensorflow/tfjs-layers, keeps them unless `replace`). Returns the
 * configs it replaced, to register back with `tf.registerGradient` (empty without `replace`).
 * Idempotent.
 */
export function registerGradients(options: RegisterGradientsOptions = {}): tf.GradConfig[] {
  const replaced: tf.GradConfig[] = [];
  for (const g of bonsaiGradients) {
    const current = tf.getGradient(g.kernelName);
    if (current === (g as tf.GradConfig)) continue;
    if (current !== undefined && !options.replace) continue;
    if (current !== undefined) replaced.push(current);
    tf.registerGradient(g as tf.GradConfig);
  }
  return replaced;
}

registerGradients();
