import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, type NodeId } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

/**
 * Compares analytic gradients (tf.variableGrads through the executor) with central finite
 * differences of the same scalar loss, for a sample of entries of every param.
 */
function checkGradients(build: (b: GraphBuilder, x: NodeId) => NodeId, inputShape: number[], training = false): void {
  const b = new GraphBuilder();
  const x = b.input(inputShape, { name: 'x' });
  const model = Model.create(b.build(build(b, x)), { seed: 3 });
  const input = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', 7);
  const w = tf.tidy(() => tf.randomNormal(model.forward(input).shape, 0, 1, 'float32', 11));
  const loss = (): tf.Scalar => tf.tidy(() => tf.sum(tf.mul(model.run(input, { training, skipStateUpdates: true }).output, w)) as tf.Scalar);
  const params = model.trainableParams();
  const { value, grads } = tf.variableGrads(loss, params.map((p) => p.value));
  value.dispose();
  for (const p of params) {
    const g = grads[p.value.name];
    expect(g, `gradient for ${p.name}`).toBeDefined();
    const ga = g!.dataSync();
    const vals = p.value.dataSync().slice();
    const n = vals.length;
    const picks = Array.from(new Set([0, n - 1, Math.floor(n / 2), Math.floor(n / 3), Math.floor((2 * n) / 3)]));
    for (const i of picks) {
      const eps = 1e-2;
      const at = (delta: number): number => {
        const v = vals.slice();
        v[i] = vals[i]! + delta;
        const t = tf.tensor(v, p.shape);
        p.assign(t);
        t.dispose();
        const l = loss();
        const out = l.dataSync()[0]!;
        l.dispose();
        return out;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const tt = tf.tensor(vals, p.shape);
      p.assign(tt);
      tt.dispose();
      const tol = 2e-2 * Math.max(1, Math.abs(numeric));
      expect(Math.abs(ga[i]! - numeric), `${p.name}[${i}] analytic ${ga[i]} numeric ${numeric}`).toBeLessThan(tol);
    }
  }
  Object.values(grads).forEach((t) => t.dispose());
  [input, w].forEach((t) => t.dispose());
  model.dispose();
}

describe('numerical gradient checks for every op with params (wasm)', () => {
  it('conv2d', () => checkGradients((b, x) => b.conv2d(x, { filters: 3, kernel: 3, padding: 'same' }), [5, 5, 2]));
  it('conv2d stride 2 valid', () => checkGradients((b, x) => b.conv2d(x, { filters: 4, kernel: 3, strides: 2, padding: 'valid' }), [7, 7, 3]));
  it('grouped conv2d', () => checkGradients((b, x) => b.conv2d(x, { filters: 4, kernel: 3, groups: 2 }), [4, 4, 4]));
  it('depthwiseConv2d', () => checkGradients((b, x) => b.depthwiseConv2d(x, { kernel: 3, multiplier: 2 }), [5, 5, 3]));
  it('dense', () => checkGradients((b, x) => b.dense(x, { units: 4 }), [6]));
  it('batchNorm (training mode)', () => checkGradients((b, x) => b.batchNorm(x), [3, 3, 2], true));
  it('batchNorm (inference mode)', () => checkGradients((b, x) => b.batchNorm(x), [3, 3, 2]));
  it('layerNorm', () => checkGradients((b, x) => b.layerNorm(x), [5]));
  it('multiHeadAttention (separate Q/K/V)', () => checkGradients((b, x) => b.op('multiHeadAttention', [x], { numHeads: 2, headDim: 2 }), [3, 4]));
  it('multiHeadAttention (fused QKV, causal)', () => checkGradients((b, x) => b.op('multiHeadAttention', [x], { numHeads: 2, headDim: 2, fusedQkv: true, causal: true }), [3, 4]));
  it('addPositionEmbedding and prependClassToken', () => checkGradients((b, x) => b.op('prependClassToken', [b.op('addPositionEmbedding', [x])]), [3, 4]));
});
