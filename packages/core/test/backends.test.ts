import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, backendInfo, initBackend, sgd, train } from '../src/index';

afterAll(async () => {
  await initBackend('wasm');
});

function net(): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 2], { name: 'x' });
  let h = b.relu(b.batchNorm(b.conv2d(x, { filters: 4, kernel: 3, name: 'conv' })));
  h = b.depthwiseConv2d(h, { kernel: 3, strides: 2, name: 'dw' });
  return Model.create(b.build(b.dense(b.flatten(h), { units: 3, name: 'fc' })), { seed: 2 });
}

async function trainedOutput(backend: 'wasm' | 'cpu'): Promise<number[]> {
  await initBackend(backend);
  expect(backendInfo().name).toBe(backend);
  const m = net();
  const x = tf.randomUniform([8, 6, 6, 2], 0, 1, 'float32', 3);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3), 'float32'));
  const opt = sgd({ lr: 0.05, momentum: 0.9 });
  await train(m, { x, y }, { epochs: 2, batchSize: 4, optimizer: opt, seed: 1 });
  const out = tf.tidy(() => Array.from(m.forward(x).dataSync()));
  [x, y].forEach((t) => t.dispose());
  opt.dispose();
  m.dispose();
  return out;
}

describe('backends', () => {
  it('wasm reports SIMD; training gives the same result on wasm and cpu', async () => {
    const onWasm = await trainedOutput('wasm');
    expect(backendInfo().simd).toBe(true);
    const onCpu = await trainedOutput('cpu');
    onWasm.forEach((v, i) => expect(Math.abs(v - onCpu[i]!)).toBeLessThan(1e-4));
  });

  it('an unknown backend is a typed error', async () => {
    await expect(initBackend('webgpu' as 'wasm')).rejects.toThrow(/Unknown backend "webgpu"/);
  });
});
