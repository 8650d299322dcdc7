import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUSE_MIN_BATCH, GraphBuilder, Model } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

/**
 * conv-bn-relu (no conv bias), conv(bias)-bn-relu6, depthwise-bn-relu, a residual add (conv c3's
 * output feeds two nodes, so it stays unfused), a conv-BN chain ending at a graph output, dense-relu and a sigmoid head.
 */
function net(): Model {
  const b = new GraphBuilder();
  const x = b.input([10, 10, 3], { name: 'x' });
  const a = b.relu(b.batchNorm(b.conv2d(x, { filters: 8, kernel: 3, useBias: false, name: 'c1' }), { name: 'bn1' }), { name: 'r1' });
  const c = b.relu6(b.batchNorm(b.conv2d(a, { filters: 8, kernel: 3, name: 'c2' }), { name: 'bn2' }), { name: 'r2' });
  const d = b.relu(b.batchNorm(b.depthwiseConv2d(c, { kernel: 3, multiplier: 2, name: 'dw' }), { name: 'bn3' }), { name: 'r3' });
  const e = b.conv2d(d, { filters: 16, kernel: 1, name: 'c3' });
  const side = b.batchNorm(b.conv2d(e, { filters: 4, kernel: 1, name: 'c4' }), { name: 'bnOut' });
  const res = b.add([e, b.conv2d(d, { filters: 16, kernel: 1, name: 'c5' })], { name: 'res' });
  const f = b.relu(b.dense(b.flatten(b.maxPool(res, { name: 'pool' })), { units: 12, name: 'fc1' }), { name: 'rf' });
  const y = b.op('sigmoid', [b.dense(f, { units: 5, name: 'fc2' })], {}, 'head');
  return Model.create(b.build([y, side]), { seed: 4 });
}

/** Gives every batch norm non-trivial statistics and affine params (seeded). */
function randomizeNorms(m: Model): void {
  let seed = 11;
  for (const [name, p] of m.params) {
    if (!/^bn/.test(name)) continue;
    const t = p.role === 'movingVariance' ? tf.randomUniform(p.shape, 0.2, 2, 'float32', seed++) : tf.randomUniform(p.shape, -1, 1, 'float32', seed++);
    p.assign(t);
    t.dispose();
  }
}

/** Kernel names tfjs ran for `f`. */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => f());
  return info.kernels.map((k) => k.name);
}

describe('fused inference path (batch norm folded, fused conv2d / matMul kernels)', () => {
  it('matches the unfused pass within 1e-5 on every output, masks included, without leaking', () => {
    const m = net();
    randomizeNorms(m);
    const c2 = m.param('c2', 'kernel')!;
    const mask = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(c2.shape, 0, 1, 'float32', 3), 0.3), 'float32'));
    c2.setMask(mask);
    mask.dispose();
    const x = tf.randomUniform([FUSE_MIN_BATCH, 10, 10, 3], -1, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const fused = m.run(x, { fuse: true }).outputs;
    const plain = m.run(x, { fuse: false }).outputs;
    for (let i = 0; i < plain.length; i++) {
      const want = plain[i]!.dataSync();
      const got = fused[i]!.dataSync();
      const scale = Math.max(1, ...Array.from(want, Math.abs));
      let worst = 0;
      for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!));
      expect(worst / scale, `output ${i}`).toBeLessThan(1e-5);
    }
    tf.dispose([fused, plain]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it('runs fused kernels instead of batch norm / relu ops at batch >= FUSE_MIN_BATCH, not below, in training or with capture', async () => {
    const m = net();
    const big = tf.randomUniform([FUSE_MIN_BATCH, 10, 10, 3], -1, 1, 'float32', 6);
    const small = tf.slice(big, [0], [1]);
    const fused = await kernelsOf(() => m.run(big).outputs);
    expect(fused).toContain('FusedConv2D');
    expect(fused).toContain('FusedDepthwiseConv2D');
    expect(fused).toContain('_FusedMatMul');
    // Every batch norm folds (bnOut too: the chain ends at it, a graph output); no standalone activation.
    expect(fused).not.toContain('FusedBatchNorm');
    for (const k of ['Relu', 'Relu6', 'Sigmoid', 'BatchMatMul']) expect(fused, k).not.toContain(k);
    const unfusedRuns = [
      await kernelsOf(() => m.run(small).outputs),
      await kernelsOf(() => m.run(big, { capture: ['c1'] }).outputs),
      await kernelsOf(() => m.run(big, { fuse: false }).outputs),
    ];
    for (const k of unfusedRuns) {
      expect(k).not.toContain('FusedConv2D');
      expect(k.filter((n) => n === 'FusedBatchNorm')).toHaveLength(4);
    }
    tf.dispose([big, small]);
    m.dispose();
  });

  it('the plan follows the graph version: a changed attribute (BN epsilon) changes the fused output', () => {
    const m = net();
    randomizeNorms(m);
    const x = tf.randomUniform([FUSE_MIN_BATCH, 10, 10, 3], -1, 1, 'float32', 8);
    const a = m.forward(x);
    m.graph.setAttrs(new Map([['bn1', { ...m.graph.node('bn1').attrs, epsilon: 0.5 }]]));
    const b = m.forward(x);
    const c = m.run(x, { fuse: false }).output;
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-4);
    expect(tf.max(tf.abs(tf.sub(b, c))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, a, b, c]);
    m.dispose();
  });

  it('does not fuse under a gradient tape: inference-mode gradients (Taylor, saliency) equal the unfused ones', () => {
    const m = net();
    randomizeNorms(m);
    const x = tf.randomUniform([FUSE_MIN_BATCH, 10, 10, 3], -1, 1, 'float32', 9);
    const before = tf.memory().numTensors;
    const grad = (fuse: boolean | undefined) => tf.grad((input: tf.Tensor) => tf.sum(m.run(input, fuse === undefined ? {} : { fuse }).output))(x);
    const a = grad(undefined);
    const b = grad(false);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBe(0);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });
});
