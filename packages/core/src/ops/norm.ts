import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import type { Shape } from '../ir/types';
import { batchNormTraining } from '../kernels/batch-norm';
import { numberAttr, readAttrs, type AttrsOf, type OptionsOf } from './attrs';
import { registerOp } from './registry';
import { plainTraits, type OpSpec, type ParamSpec } from './spec';

/** Attribute schema of `batchNorm` (over the last, channel axis). */
export const batchNormSchema = { epsilon: numberAttr(1e-3, 0), momentum: numberAttr(0.99, 0, 1) };
/** Attributes of `batchNorm`. */
export type BatchNormAttrs = AttrsOf<typeof batchNormSchema>;
/** What `GraphBuilder.batchNorm` accepts. */
export type BatchNormOptions = OptionsOf<typeof batchNormSchema>;

/** Attribute schema of `layerNorm` (over the last axis). */
export const layerNormSchema = { epsilon: numberAttr(1e-5, 0) };
/** Attributes of `layerNorm`. */
export type LayerNormAttrs = AttrsOf<typeof layerNormSchema>;
/** What `GraphBuilder.layerNorm` accepts. */
export type LayerNormOptions = OptionsOf<typeof layerNormSchema>;

function channels(s: Shape | undefined, op: string): number {
  if (!s || s.length < 1) throw new ShapeError(`${op} expects an input with a channel axis`);
  return s[s.length - 1]!;
}

const channelParam = (c: number, init: 'zeros' | 'ones', trainable = true): ParamSpec => ({ shape: [c], init, trainable, outAxis: 0 });

/**
 * Batch normalization. Training mode normalizes with batch statistics and records updates of the
 * running statistics (momentum like Keras: running = momentum * running + (1 - momentum) * batch).
 */
export const batchNormOp: OpSpec<BatchNormAttrs> = {
  name: 'batchNorm',
  arity: 1,
  attrSchema: batchNormSchema,
  normalizeAttrs: (a) => readAttrs(batchNormSchema, a, 'batchNorm'),
  ...plainTraits,
  norm: 'batch',
  inferShape([s]) {
    channels(s, 'batchNorm');
    return s!;
  },
  paramShapes([s]) {
    const c = channels(s, 'batchNorm');
    return {
      gamma: channelParam(c, 'ones'),
      beta: channelParam(c, 'zeros'),
      movingMean: channelParam(c, 'zeros', false),
      movingVariance: channelParam(c, 'ones', false),
    };
  },
  inferenceAffine(p, a) {
    const scale = tf.mul(p.gamma!, tf.rsqrt(tf.add(p.movingVariance!, a.epsilon)));
    return { scale, shift: tf.sub(p.beta!, tf.mul(p.movingMean!, scale)) };
  },
  forward([x], p, a, ctx) {
    if (!ctx.training) {
      return tf.batchNorm(x!, p.movingMean!, p.movingVariance!, p.beta!, p.gamma!, a.epsilon);
    }
    const { y, mean, variance } = batchNormTraining(x!, p.gamma!, p.beta!, a.epsilon);
    const m = ctx.momentum ?? a.momentum;
    ctx.updates.push(
      { param: 'movingMean', value: tf.add(tf.mul(p.movingMean!, m), tf.mul(mean, 1 - m)) },
      { param: 'movingVariance', value: tf.add(tf.mul(p.movingVariance!, m), tf.mul(variance, 1 - m)) },
    );
    tf.dispose([mean, variance]);
    return y;
  },
  macs() {
    return 0;
  },
  channelRule() {
    return { kind: 'identity' };
  },
};

/** Layer normalization over the last axis with per-channel scale and shift. */
export const layerNormOp: OpSpec<LayerNormAttrs> = {
  name: 'layerNorm',
  arity: 1,
  attrSchema: layerNormSchema,
  normalizeAttrs: (a) => readAttrs(layerNormSchema, a, 'layerNorm'),
  ...plainTraits,
  norm: 'layer',
  inferShape([s]) {
    channels(s, 'layerNorm');
    return s!;
  },
  paramShapes([s]) {
    const c = channels(s, 'layerNorm');
    return { gamma: channelParam(c, 'ones'), beta: channelParam(c, 'zeros') };
  },
  forward([x], p, a) {
    const { mean, variance } = tf.moments(x!, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x!, mean), tf.sqrt(tf.add(variance, a.epsilon))), p.gamma!), p.beta!);
  },
  macs() {
    return 0;
  },
  channelRule() {
    // Pruning channels changes the statistics, so layer norm couples its channels like identity
    // only approximately; the dependency graph treats it as identity (as Torch-Pruning does).
    return { kind: 'identity' };
  },
};

registerOp(batchNormOp);
registerOp(layerNormOp);
