import * as tf from '@tensorflow/tfjs-core';
import { Graph, initBackend, Model, ShapeError, type AttrValue } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A model of one op on per-sample input `shape`. */
function single(op: string, shape: number[], attrs: Record<string, AttrValue>): Model {
  return Model.create(new Graph({ inputs: ['x'], outputs: ['y'], nodes: [{ id: 'x', op: 'input', inputs: [], attrs: { shape } }, { id: 'y', op, inputs: ['x'], attrs }] }), { seed: 1 });
}

async function run(op: string, x: number[], attrs: Record<string, AttrValue> = {}): Promise<number[]> {
  const m = single(op, [x.length], attrs);
  const t = tf.tensor2d([x]);
  const y = m.predict(t);
  const out = Array.from(await y.data());
  [t, y].forEach((v) => v.dispose());
  m.dispose();
  return out;
}

const close = (a: readonly number[], b: readonly number[], tol = 1e-6): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(tol));
};

describe('new core ops against hand-computed values', () => {
  const xs = [-3, -1, -0.25, 0, 0.5, 2, 7];
  it('elu with alpha != 1, selu, swish, hardSigmoid (slope/offset), geluExact, clippedRelu, rescale', async () => {
    close(await run('elu', xs, { alpha: 0.5 }), xs.map((v) => (v > 0 ? v : 0.5 * (Math.exp(v) - 1))));
    const [a, l] = [1.6732632423543772, 1.0507009873554805];
    close(await run('selu', xs), xs.map((v) => l * (v > 0 ? v : a * (Math.exp(v) - 1))), 1e-5);
    close(await run('swish', xs), xs.map((v) => v / (1 + Math.exp(-v))), 1e-5);
    close(await run('hardSigmoid', xs, { slope: 1 / 6, offset: 0.5 }), xs.map((v) => Math.min(1, Math.max(0, v / 6 + 0.5))));
    // Phi(x), the standard normal CDF, from a printed table.
    const phi: Record<number, number> = { [-3]: 0.0013499, [-1]: 0.1586553, [-0.25]: 0.4012937, 0: 0.5, 0.5: 0.6914625, 2: 0.9772499, 7: 1 };
    close(await run('geluExact', xs), xs.map((v) => v * phi[v]!), 2e-5);
    close(await run('clippedRelu', xs, { maxValue: 1.5, negativeSlope: 0.1, threshold: -1 }), xs.map((v) => (v >= 1.5 ? 1.5 : v >= -1 ? v : 0.1 * (v + 1))));
    close(await run('rescale', xs, { scale: 0.5, offset: -1 }), xs.map((v) => v * 0.5 - 1));
  });

  it('pad2d constant / reflect / symmetric and crop2d on a 1x3 image', async () => {
    const img = tf.tensor4d([1, 2, 3], [1, 1, 3, 1]);
    const of = async (op: string, attrs: Record<string, AttrValue>): Promise<number[]> => {
      const m = single(op, [1, 3, 1], attrs);
      const y = m.predict(img);
      const v = Array.from(await y.data());
      y.dispose();
      m.dispose();
      return v;
    };
    expect(await of('pad2d', { pads: [0, 0, 2, 1], mode: 'constant', value: 9 })).toEqual([9, 9, 1, 2, 3, 9]);
    expect(await of('pad2d', { pads: [0, 0, 2, 1], mode: 'reflect' })).toEqual([3, 2, 1, 2, 3, 2]);
    expect(await of('pad2d', { pads: [0, 0, 2, 1], mode: 'symmetric' })).toEqual([2, 1, 1, 2, 3, 3]);
    expect(await of('crop2d', { crops: [0, 0, 1, 1] })).toEqual([2]);
    img.dispose();
  });

  it('shape errors: broadcast ranks, spatialReshape sizes, permute rank, crop leaving nothing', () => {
    const g = (nodes: ConstructorParameters<typeof Graph>[0]['nodes']) => () => new Graph({ inputs: ['a', 'b'], outputs: ['y'], nodes });
    const inp = (id: string, shape: number[]) => ({ id, op: 'input', inputs: [], attrs: { shape } });
    expect(g([inp('a', [4, 4, 3]), inp('b', [3]), { id: 'y', op: 'mul', inputs: ['a', 'b'], attrs: {} }])).toThrow(/rank/);
    expect(() => single('spatialReshape', [4, 4, 3], { spatial: [3, 5] })).toThrow(ShapeError);
    expect(() => single('permute', [4, 3], { perm: [2, 0, 1] })).toThrow(ShapeError);
    expect(() => single('crop2d', [2, 2, 1], { crops: [1, 1, 0, 0] })).toThrow(ShapeError);
  });
});

describe('prelu is trainable: its gradients match finite differences', () => {
  it('d sum(w * prelu(x)) / d alpha and / d x', () => {
    const m = single('prelu', [2, 2, 3], { sharedAxes: [0, 1] });
    const alpha = m.param('y', 'alpha')!;
    expect(alpha.shape).toEqual([1, 1, 3]);
    tf.tidy(() => alpha.assign(tf.tensor3d([[[0.1, 0.2, 0.3]]])));
    const x = tf.tensor4d([-1, 2, -3, 0.5, -0.5, 1, -2, -1, 3, 1, -4, 2], [1, 2, 2, 3]);
    const w = tf.randomUniform([1, 2, 2, 3], -1, 1, 'float32', 3);
    const loss = (): tf.Scalar => tf.sum(tf.mul(m.forward(x, { training: true }), w)) as tf.Scalar;
    const { grads } = tf.variableGrads(loss, [alpha.value]);
    const g = grads[alpha.value.name]!.dataSync();
    const a0 = alpha.value.dataSync().slice();
    const eps = 1e-2;
    for (let c = 0; c < 3; c++) {
      const at = (d: number): number => {
        const v = a0.slice();
        v[c]! += d;
        tf.tidy(() => alpha.assign(tf.tensor3d(Array.from(v), [1, 1, 3])));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      expect(Math.abs((at(eps) - at(-eps)) / (2 * eps) - g[c]!)).toBeLessThan(1e-3);
    }
    tf.tidy(() => alpha.assign(tf.tensor3d([[[0.1, 0.2, 0.3]]])));
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(m.forward(t, { training: true }), w)))(x);
    const manual = tf.tidy(() => tf.mul(w, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.broadcastTo(tf.tensor3d([[[0.1, 0.2, 0.3]]]), [1, 2, 2, 3]))));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(dx, manual))).dataSync()[0]!)).toBeLessThan(1e-6);
    Object.values(grads).forEach((t) => t.dispose());
    [x, w, dx, manual].forEach((t) => t.dispose());
    m.dispose();
  });
});
