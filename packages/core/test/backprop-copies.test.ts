// What a training step no longer does: copy tensors saved for backprop (wasm's Identity) and
// compute the input gradient of a conv whose input is data. Oracles: the copying kernel's values,
// the default (input-gradient) path, which the finite-difference tests check, and kernel counts.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, Param, adam, trainableConv2d, trainableDepthwiseConv2d } from '../src/index';
import { CONV_KERNEL } from '../src/kernels/heap-conv';
import { expectClose, useWasm } from './helpers';

beforeAll(useWasm);

describe('shared Identity on wasm', () => {
  it('tf.clone shares the data, survives disposing its source and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([[1, -2], [3.5, 4]]);
    const c = tf.clone(a);
    expect(tf.engine().state.tensorInfo.get(c.dataId)).toBe(tf.engine().state.tensorInfo.get(a.dataId));
    a.dispose();
    expectClose(c.dataSync(), [1, -2, 3.5, 4], 0);
    c.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a variable assigned after a clone leaves the clone unchanged', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const c = tf.clone(v);
    const next = tf.tensor1d([7, 8, 9]);
    v.assign(next);
    expectClose(c.dataSync(), [1, 2, 3], 0);
    expectClose(v.dataSync(), [7, 8, 9], 0);
    tf.dispose([v, c, next]);
  });
});

/** conv1 (on data) -> relu -> conv2 -> sum: a two-conv net's loss. */
function twoConvs(): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 2], { name: 'x' });
  const h = b.relu(b.conv2d(x, { filters: 3, kernel: 3, padding: 'same', name: 'conv1' }));
  const d = b.depthwiseConv2d(h, { kernel: 3, padding: 'same', name: 'dw' });
  return Model.create(b.build(b.conv2d(d, { filters: 2, kernel: 3, strides: 2, padding: 'valid', name: 'conv2' })), { seed: 3 });
}

describe('no input gradient for data', () => {
  it('run(inputGrads: false) gives the same param gradients with one conv fewer in backprop', async () => {
    const model = twoConvs();
    const x = tf.randomUniform([2, 6, 6, 2], -1, 1, 'float32', 5);
    const vars = model.trainableParams().map((p) => p.value);
    const grads = (inputGrads: boolean) => tf.variableGrads(() => tf.sum(tf.square(model.run(x, { training: true, inputGrads }).output)), vars);
    const convCalls = async (inputGrads: boolean) => {
      const p = await tf.profile(() => { const g = grads(inputGrads); tf.dispose([g.value, ...Object.values(g.grads)]); });
      return p.kernels.filter((k) => k.name === 'Conv2D' || k.name === CONV_KERNEL).length;
    };
    const before = tf.memory().numTensors;
    const a = grads(true);
    const b = grads(false);
    for (const v of vars) expectClose(b.grads[v.name]!.dataSync(), a.grads[v.name]!.dataSync(), 1e-6);
    tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    // conv1's input gradient is one conv at stride 1 (XNNPACK's Conv2D or core's SIMD heap kernel).
    expect(await convCalls(false)).toBe((await convCalls(true)) - 1);
    x.dispose();
    model.dispose();
  });

  it('conv2d / depthwiseConv2d with inputGrad: false: same filter gradient, no gradient for x', () => {
    const x = tf.randomUniform([2, 7, 7, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomUniform([3, 3, 3, 4], -1, 1, 'float32', 2) as tf.Tensor4D;
    const dwf = tf.randomUniform([3, 3, 3, 2], -1, 1, 'float32', 3) as tf.Tensor4D;
    const opts = { strides: [2, 2] as [number, number], pad: 'same' as const };
    for (const conv of [(a: tf.Tensor4D, k: tf.Tensor4D, o: typeof opts & { inputGrad?: boolean }) => trainableConv2d(a, k, o), trainableDepthwiseConv2d]) {
      const k = conv === trainableDepthwiseConv2d ? dwf : f;
      const ref = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(conv(a as tf.Tensor4D, w as tf.Tensor4D, opts))))([x, k]);
      const df = tf.grad((w: tf.Tensor) => tf.sum(tf.square(conv(x, w as tf.Tensor4D, { ...opts, inputGrad: false }))))(k);
      expectClose(df.dataSync(), ref[1]!.dataSync(), 1e-5);
      expect(() => tf.grad((a: tf.Tensor) => tf.sum(conv(a as tf.Tensor4D, k, { ...opts, inputGrad: false })))(x)).toThrow();
      tf.dispose([...ref, df]);
    }
    tf.dispose([x, f, dwf]);
  });
});

describe('Adam in one pass', () => {
  it('matches the tensor-op Adam update over several steps (weight decay, lr multiplier)', () => {
    const w0 = tf.randomUniform([5, 7], -1, 1, 'float32', 11);
    const p = new Param('w', w0, true);
    const opt = adam({ lr: 0.05, weightDecay: 0.01 });
    opt.lrMultipliers.set('w', 0.5);
    const before = tf.memory().numTensors;
    let ref = tf.clone(w0);
    let m = tf.zerosLike(w0);
    let v = tf.zerosLike(w0);
    for (let t = 1; t <= 4; t++) {
      const g = tf.randomUniform([5, 7], -2, 2, 'float32', 20 + t);
      opt.step([p], { w: g });
      // Oracle: Adam (Kingma & Ba) with L2 decay as tensor ops; lr 0.05 x 0.5.
      const next = tf.tidy(() => {
        const gd = tf.add(g, tf.mul(ref, 0.01));
        const m1 = tf.add(tf.mul(m, 0.9), tf.mul(gd, 0.1));
        const v1 = tf.add(tf.mul(v, 0.999), tf.mul(tf.square(gd), 0.001));
        const step = tf.div(tf.div(m1, 1 - 0.9 ** t), tf.add(tf.sqrt(tf.div(v1, 1 - 0.999 ** t)), 1e-7));
        return [tf.sub(ref, tf.mul(step, 0.025)), m1, v1];
      });
      tf.dispose([ref, m, v, g]);
      [ref, m, v] = next as [tf.Tensor, tf.Tensor, tf.Tensor];
      expectClose(p.value.dataSync(), ref.dataSync(), 1e-6);
    }
    tf.dispose([ref, m, v]);
    // The moments are float32 arrays inside the optimizer: no tensor stays.
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    p.dispose();
    w0.dispose();
  });
});
