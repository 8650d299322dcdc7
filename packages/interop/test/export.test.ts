import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, initBackend, Model } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLayersArtifacts, InteropError, toLayersArtifacts } from '../src/index';
import { loadWithTfjs, maxAbsDiff, tfjsPredict } from './helpers';
import { fromFloat16Bits, toFloat16Bits } from '@bonsai/quantize';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A Bonsai-built model using layerNorm, sigmoid, tanh, reshape and a node id tfjs would reject. */
function bonsaiNet(): Model {
  const b = new GraphBuilder();
  const x = b.input([8, 8, 3], { name: 'x' });
  let h = b.conv2d(x, { filters: 6, kernel: 3, name: 'conv/1' }); // '/' is not a valid tfjs layer name
  h = b.batchNorm(h, { name: 'bn', epsilon: 1e-5, momentum: 0.8 });
  h = b.relu(h, { name: 'relu' });
  h = b.depthwiseConv2d(h, { kernel: 3, strides: 2, name: 'dw' });
  const p = b.maxPool(h, { name: 'mp', pool: 2 });
  const g = b.globalAvgPool(p, { name: 'gap' });
  const t = b.reshape(g, { shape: [2, 3], name: 'tok' });
  const n = b.layerNorm(t, { name: 'ln' });
  const f = b.flatten(b.tanh(b.dense(n, { units: 4, name: 'fc1' }), { name: 'tanh' }), { name: 'flat' });
  const y = b.sigmoid(b.dense(f, { units: 2, name: 'head' }), { name: 'sig' });
  return Model.create(b.build(y), { seed: 3 });
}

describe('exportLayersModel / toLayersArtifacts', () => {
  it('exports masked (pruned) weights baked in, loads in stock tfjs-layers with equal outputs, and leaks nothing', async () => {
    const m = bonsaiNet();
    const kernel = m.param('conv/1', 'kernel')!;
    const mask = tf.tidy(() => tf.cast(tf.greater(tf.abs(kernel.value), 0.2), 'float32'));
    kernel.setMask(mask);
    mask.dispose();
    expect(kernel.sparsity()).toBeGreaterThan(0.2);
    const x = tf.randomUniform([3, 8, 8, 3], -1, 1, 'float32', 5);
    const y = m.forward(x);

    const before = tf.memory().numTensors;
    const art = await toLayersArtifacts(m);
    expect(tf.memory().numTensors).toBe(before);
    expect(art.layerNames.get('conv/1')).toBe('conv_1');
    expect(kernel.mask).toBeDefined(); // the model itself is unchanged

    const spec = art.modelJson.weightsManifest[0]!.weights.find((w) => w.name === 'conv_1/kernel')!;
    const values = new Float32Array(art.weights, 0, spec.shape.reduce((a, b) => a * b, 1));
    const zeros = values.filter((v) => v === 0).length;
    expect(zeros / values.length).toBeCloseTo(kernel.sparsity(), 6);

    const keras = await loadWithTfjs(art);
    const yk = tfjsPredict(keras, x);
    expect(maxAbsDiff(yk, y)).toBeLessThan(1e-4);

    // float16 and uint16 also load in stock tfjs.
    for (const quantize of ['float16', 'uint16', 'uint8'] as const) {
      const q = await toLayersArtifacts(m, { quantize });
      const kq = await loadWithTfjs(q);
      const yq = tfjsPredict(kq, x);
      expect(maxAbsDiff(yq, y)).toBeLessThan(1e-2);
      // pruned zeros stay exactly zero after stock dequantization
      const w = kq.getLayer('conv_1').getWeights()[0]!;
      const kz = tf.tidy(() => tf.sum(tf.cast(tf.equal(w, 0), 'float32')).dataSync()[0]!);
      expect(kz).toBe(zeros);
      yq.dispose();
      kq.dispose();
    }
    [x, y, yk].forEach((t) => t.dispose());
    keras.dispose();
    m.dispose();
  });

  it('re-imports its own export exactly (Bonsai -> Keras -> Bonsai)', async () => {
    const m = bonsaiNet();
    const art = await toLayersArtifacts(m);
    const back = importLayersArtifacts(art);
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 9);
    const a = m.forward(x);
    const b = back.forward(x);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(back.graph.node('bn').attrs).toEqual({ epsilon: 1e-5, momentum: 0.8 });
    [x, a, b].forEach((t) => t.dispose());
    m.dispose();
    back.dispose();
  });

  it('names the node and op for ops without a tfjs-layers equivalent', async () => {
    const b = new GraphBuilder();
    const x = b.input([4, 4, 4], { name: 'x' });
    const [s0, s1] = b.split(x, { sizes: [2, 2], name: 'sp' });
    const m = Model.create(b.build(b.add([s0!, s1!])));
    const err = await toLayersArtifacts(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InteropError);
    expect((err as InteropError).code).toBe('INTEROP');
    expect((err as InteropError).details).toMatchObject({ nodeId: 'sp_0', op: 'split' });
    m.dispose();

    const g = new GraphBuilder();
    const gx = g.input([4, 4, 4]);
    const gm = Model.create(g.build(g.conv2d(gx, { filters: 4, kernel: 1, groups: 2, name: 'gconv' })));
    await expect(toLayersArtifacts(gm)).rejects.toMatchObject({ code: 'INTEROP', details: { nodeId: 'gconv', op: 'conv2d' } });
    await expect(toLayersArtifacts(gm, { quantize: 'int8' as 'uint8' })).rejects.toMatchObject({ code: 'CONFIG' });
    gm.dispose();

    const h = new GraphBuilder();
    const hm = Model.create(h.build(h.gelu(h.dense(h.input([3]), { units: 2 }), { name: 'act' })));
    await expect(toLayersArtifacts(hm)).rejects.toMatchObject({ code: 'INTEROP', details: { nodeId: 'act', op: 'gelu' } });
    hm.dispose();
  });

  it('float16 encoding round-trips representable values and rounds to nearest even', () => {
    for (const v of [0, -0, 1, -2.5, 65504, 6.103515625e-5, 2 ** -24, 0.333251953125]) expect(fromFloat16Bits(toFloat16Bits(v))).toBe(v);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });
});
