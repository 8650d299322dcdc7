import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatNet, lenet5, mlp300100, mobileNet, resnet20, resnet56, smallCnn, vit, vggNet } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

const countParams = (m: Model): number => [...m.params.values()].filter((p) => p.trainable).reduce((a, p) => a + p.size, 0);

describe('model zoo', () => {
  const zoo: Record<string, () => Model> = {
    mlp300100: () => mlp300100(),
    lenet5: () => lenet5(),
    smallCnn: () => smallCnn(),
    vggNet: () => vggNet(),
    resnet20: () => resnet20(),
    resnet56: () => resnet56({ base: 4 }),
    mobileNet: () => mobileNet(),
    concatNet: () => concatNet(),
    vit: () => vit(),
    vitClassToken: () => vit({ classToken: true, fusedQkv: true, dim: 16, heads: 2 }),
  };

  for (const [name, make] of Object.entries(zoo)) {
    it(`${name} runs on a batch of MNIST-shaped inputs and leaks nothing`, () => {
      const before = tf.memory().numTensors;
      const m = make();
      const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 1);
      const y = m.forward(x);
      expect(y.shape).toEqual([3, 10]);
      const yt = m.forward(x, { training: true });
      expect(yt.shape).toEqual([3, 10]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      [x, y, yt].forEach((t) => t.dispose());
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('parameter counts match hand counts', () => {
    const mlp = mlp300100();
    expect(countParams(mlp)).toBe(784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
    const lenet = lenet5();
    // conv1 5x5x1x6+6, conv2 5x5x6x16+16, fc1 400x120+120, fc2 120x84+84, fc3 84x10+10
    expect(countParams(lenet)).toBe(156 + 2416 + 48120 + 10164 + 850);
    const cnn = smallCnn({ widths: [8, 16], hidden: 32 });
    // convs (no bias): 9*1*8, 9*8*8, 9*8*16, 9*16*16; BN gamma+beta: 2*(8+8+16+16); fc1: 7*7*16*32+32; fc2: 32*10+10
    expect(countParams(cnn)).toBe(72 + 576 + 1152 + 2304 + 96 + 7 * 7 * 16 * 32 + 32 + 330);
    [mlp, lenet, cnn].forEach((m) => m.dispose());
  });

  it('resnet20 has 6n+2 = 20 weighted layers and residual adds', () => {
    const m = resnet20({ base: 4 });
    const nodes = m.graph.nodes;
    const weighted = nodes.filter((n) => (n.op === 'conv2d' && !n.id.includes('sc')) || n.op === 'dense');
    expect(weighted.length).toBe(20);
    expect(nodes.filter((n) => n.op === 'add').length).toBe(9);
    m.dispose();
  });

  it('builders are deterministic for a seed', () => {
    const a = smallCnn({ seed: 3, widths: [4, 8], hidden: 8 });
    const b = smallCnn({ seed: 3, widths: [4, 8], hidden: 8 });
    const c = smallCnn({ seed: 4, widths: [4, 8], hidden: 8 });
    const w = (m: Model) => Array.from(m.param('conv1', 'kernel')!.value.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('concatNet and mobileNet contain the structures the dependency graph must handle', () => {
    const c = concatNet();
    const ops = c.graph.nodes.map((n) => n.op);
    expect(ops).toContain('concat');
    expect(ops).toContain('split');
    expect(c.graph.nodes.some((n) => n.op === 'conv2d' && n.attrs.groups === 2)).toBe(true);
    const mb = mobileNet();
    expect(mb.graph.nodes.filter((n) => n.op === 'depthwiseConv2d').length).toBe(4);
    c.dispose();
    mb.dispose();
  });
});
