/**
 * What the real-model benches (real-models, real-scores, emotion-steps) share: where interop's
 * vendored GraphModels are, which activations they quantize, and how two probability outputs compare.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { Graph, NodeId } from '@bonsai/core';
import { activationTargets } from '@bonsai/quantize';

/** model.json of one of interop's vendored GraphModels (`emotion`, `handlandmark-lite`, ...). */
export function fixtureModel(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '../../interop/test/fixtures/graph-model', name, 'model.json');
}

/**
 * The activations the benches quantize: every activation target but those that are, or only feed,
 * graph outputs (the outputs stay float: int8 probabilities round small ones to 0, int8 landmarks
 * add a pure rounding error).
 */
export function int8ActivationNodes(g: Graph): NodeId[] {
  const feedsOutput = (id: NodeId): boolean => g.outputs.includes(id) || g.consumers(id).every((c) => g.outputs.includes(c));
  return activationTargets(g, {}).filter((id) => !feedsOutput(id));
}

/** Top-1 agreement, mean KL(p || q) and the sorted float top-1/top-2 margins of the flipped samples, of two probability outputs. */
export function compareProbabilities(p: tf.Tensor, q: tf.Tensor): { agreement: number; kl: number; flipped: number[] } {
  return tf.tidy(() => {
    const a = tf.argMax(p, -1).dataSync();
    const b = tf.argMax(q, -1).dataSync();
    const top = tf.topk(p, 2).values.dataSync();
    const flipped: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) flipped.push(top[2 * i]! - top[2 * i + 1]!);
    const pc = tf.clipByValue(p, 1e-12, 1);
    const qc = tf.clipByValue(q, 1e-12, 1);
    const kl = tf.mean(tf.sum(tf.mul(pc, tf.sub(tf.log(pc), tf.log(qc))), -1)).dataSync()[0]!;
    return { agreement: 1 - flipped.length / a.length, kl, flipped: flipped.sort((u, v) => u - v) };
  });
}
