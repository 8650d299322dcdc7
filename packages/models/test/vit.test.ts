import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, initBackend, type Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { vit } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

const countParams = (m: Model): number => [...m.params.values()].filter((p) => p.trainable).reduce((a, p) => a + p.size, 0);

describe('vit', () => {
  it('has the ViT structure and a hand-counted parameter count', () => {
    const m = vit({ patch: 7, dim: 16, depth: 2, heads: 4, mlpRatio: 2 });
    const t = 16;
    const d = 16;
    const block = 2 * 2 * d + (3 * (d * d + d) + d * d + d) + (d * 2 * d + 2 * d) + (2 * d * d + d);
    // patch conv 7*7*1*d + d, pos [16, d], blocks, final LN, head d*10 + 10.
    expect(countParams(m)).toBe(49 * d + d + t * d + 2 * block + 2 * d + d * 10 + 10);
    const attn = m.graph.node('blk2_attn');
    expect(attn.op).toBe('multiHeadAttention');
    expect(attn.attrs).toMatchObject({ numHeads: 4, headDim: 4 });
    expect(m.graph.shape('tokens')).toEqual([16, d]);
    expect(m.graph.shape('pool')).toEqual([d]);
    m.dispose();
  });

  it('with a class token classifies from token 0 and has one more token', () => {
    const m = vit({ patch: 14, dim: 8, depth: 1, heads: 2, classToken: true });
    expect(m.graph.shape('pos_embed')).toEqual([5, 8]);
    // The class token's output feeds the head: changing cls changes the prediction (a random
    // change: a constant shift would vanish in the layer norms).
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const y1 = m.forward(x);
    const cls = m.param('cls_token', 'cls')!;
    const ones = tf.randomNormal(cls.shape, 0, 1, 'float32', 5);
    cls.assign(ones);
    const y2 = m.forward(x);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0]!)).toBeGreaterThan(1e-4);
    [y1, y2, ones].forEach((v) => v.dispose());
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it('refuses bad options with a ConfigError naming them', () => {
    expect(() => vit({ dim: 30, heads: 4 })).toThrow(ConfigError);
    expect(() => vit({ dim: 30, heads: 4 })).toThrow(/heads/);
    expect(() => vit({ patch: 5 })).toThrow(/inputShape/);
    expect(() => vit({ depth: 0 })).toThrow(/depth/);
  });
});
