import * as tf from '@tensorflow/tfjs-core';
import type { Attrs } from '../ir/types';
import { registerOp } from './registry';
import { plainTraits, type OpSpec } from './spec';

type Fn = (x: tf.Tensor) => tf.Tensor;

function gelu(x: tf.Tensor): tf.Tensor {
  // tanh approximation (as in GPT-2 / BERT implementations): x + 0.044715 x^3 written as
  // x (1 + 0.044715 x^2), since wasm's Pow (and its gradient) costs more than a square.
  const c = Math.sqrt(2 / Math.PI);
  const inner = tf.mul(tf.mul(x, tf.add(tf.mul(tf.square(x), 0.044715), 1)), c);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** ReLU-like activations keep their input's grid and fuse into the producing op when quantized. */
const reluTraits = { quantPassthrough: true, fusedActivation: true } as const;

type Traits = Partial<Pick<OpSpec, 'quantPassthrough' | 'fusedActivation' | 'kernelActivation'>>;

function activation(name: string, fn: Fn, traits: Traits = {}): OpSpec<Attrs> {
  return {
    name,
    arity: 1,
    attrSchema: {},
    normalizeAttrs: () => ({}),
    ...plainTraits,
    ...traits,
    inferShape: ([s]) => s!,
    paramShapes: () => ({}),
    forward: ([x]) => fn(x!),
    macs: () => 0,
    channelRule: () => ({ kind: 'identity' }),
  };
}

/** Elementwise activations: relu, relu6, gelu (tanh approximation), sigmoid, tanh. */
export const activationOps = [
  activation('relu', (x) => tf.relu(x), { ...reluTraits, kernelActivation: 'relu' }),
  activation('relu6', (x) => tf.relu6(x), { ...reluTraits, kernelActivation: 'relu6' }),
  activation('gelu', gelu),
  activation('sigmoid', (x) => tf.sigmoid(x), { kernelActivation: 'sigmoid' }),
  activation('tanh', (x) => tf.tanh(x)),
];

/** Softmax over the last axis. Channel pruning through it changes the normalization. */
export const softmaxOp: OpSpec<Attrs> = { ...activation('softmax', (x) => tf.softmax(x)), channelRule: () => ({ kind: 'barrier' }) };

for (const op of activationOps) registerOp(op);
registerOp(softmaxOp);
