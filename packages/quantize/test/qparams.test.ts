import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, ConfigError, createRng } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeQParams, channelMinMax, dequantize, dequantizeArray, quantize, quantizeArray, resolveScheme, roundHalfEven, type QuantScheme } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

function randomValues(n: number, seed: number, lo = -3, hi = 2): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
}

const schemes: Array<[string, QuantScheme]> = [
  ['int8 symmetric', { dtype: 'int8', symmetric: true }],
  ['int8 affine', { dtype: 'int8', symmetric: false }],
  ['uint8 symmetric', { dtype: 'uint8', symmetric: true }],
  ['uint8 affine', { dtype: 'uint8', symmetric: false }],
  ['int4 symmetric', { dtype: 'int4', symmetric: true }],
  ['int4 affine', { dtype: 'int4', symmetric: false }],
  ['3-bit unsigned affine', { bits: 3, signed: false, symmetric: false }],
];

describe('quantize / dequantize', () => {
  it('rounds half to even like tf.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, -3]);
    const t = tf.tensor([0.5, 1.5, 2.5, -0.5, -1.5]);
    const r = tf.round(t);
    expect(Array.from(r.dataSync())).toEqual([0, 2, 2, -0, -2]);
    tf.dispose([t, r]);
  });

  for (const [label, scheme] of schemes) {
    for (const perChannel of [false, true]) {
      it(`${label}, ${perChannel ? 'per-channel' : 'per-tensor'}: |x - dq(q(x))| <= scale / 2 and q in range`, () => {
        const shape = [5, 7, 3];
        const values = randomValues(5 * 7 * 3, 11);
        // Channel 1 gets a much smaller range, so per-channel scales differ.
        for (let i = 1; i < values.length; i += 3) values[i] = values[i]! * 0.05;
        const s = resolveScheme({ ...scheme, perChannel, axis: 2 });
        const { min, max } = channelMinMax(values, shape, perChannel ? 2 : undefined);
        const qp = computeQParams(min, max, s, perChannel ? 2 : undefined);
        expect(qp.scale.length).toBe(perChannel ? 3 : 1);
        const q = quantizeArray(values, shape, qp);
        const dq = dequantizeArray(q, shape, qp);
        for (let i = 0; i < values.length; i++) {
          const c = perChannel ? i % 3 : 0;
          expect(q[i]).toBeGreaterThanOrEqual(s.qmin);
          expect(q[i]).toBeLessThanOrEqual(s.qmax);
          expect(Math.abs(values[i]! - dq[i]!)).toBeLessThanOrEqual(qp.scale[c]! / 2 + 1e-6 * qp.scale[c]!);
        }
        // Zero is exactly representable.
        const z = dequantizeArray(quantizeArray(new Float32Array(3), [1, 1, 3], qp), [1, 1, 3], qp);
        expect(Array.from(z)).toEqual([0, 0, 0]);
        // The tensor ops give the same integers (and the same error bound, in float32).
        const x = tf.tensor(values, shape);
        const qt = quantize(x, qp);
        const dqt = dequantize(qt, qp);
        expect(qt.dtype).toBe('int32');
        expect(Array.from(qt.dataSync())).toEqual(Array.from(q));
        const d = dqt.dataSync();
        for (let i = 0; i < values.length; i++) expect(Math.abs(values[i]! - d[i]!)).toBeLessThanOrEqual(qp.scale[perChannel ? i % 3 : 0]! * 0.5001);
        tf.dispose([x, qt, dqt]);
      });
    }
  }

  it('per-channel symmetric int8 scales are max|w| / 127 per output channel, zero point 0', () => {
    const w = new Float32Array([1, -2, 0.5, 0, 0.25, -4]); // shape [3, 2], channels on axis 1
    const { min, max } = channelMinMax(w, [3, 2], 1);
    const qp = computeQParams(min, max, resolveScheme({ perChannel: true, axis: 1 }), 1);
    expect(Array.from(qp.scale)).toEqual([Math.fround(1 / 127), Math.fround(4 / 127)]);
    expect(Array.from(qp.zeroPoint)).toEqual([0, 0]);
    expect(Array.from(quantizeArray(w, [3, 2], qp))).toEqual([127, -64, 64, 0, 32, -127]);
  });

  it('affine parameters cover a one-sided range with a zero point at the edge', () => {
    const qp = computeQParams([0], [2.55], resolveScheme({ dtype: 'uint8', symmetric: false }));
    expect(qp.zeroPoint[0]).toBe(0);
    expect(qp.scale[0]).toBeCloseTo(0.01, 7);
    const q2 = computeQParams([-1], [-0.5], resolveScheme({ dtype: 'int8', symmetric: false }));
    expect(q2.zeroPoint[0]).toBe(127); // range widened to [-1, 0]: 0 maps to qmax
  });

  it('an all-zero channel gets scale 1 and stays exactly zero', () => {
    const qp = computeQParams([0, -1], [0, 1], resolveScheme({ perChannel: true, axis: 1 }), 1);
    expect(qp.scale[0]).toBe(1);
    expect(Array.from(dequantizeArray(quantizeArray([0, 0.5], [1, 2], qp), [1, 2], qp))[0]).toBe(0);
  });

  it('bad configs throw ConfigError naming the problem', () => {
    expect(() => resolveScheme({ bits: 9 })).toThrow(ConfigError);
    expect(() => resolveScheme({ bits: 1 })).toThrow(/bits must be an integer in \[2, 8\], got 1/);
    expect(() => resolveScheme({ bits: 4.5 })).toThrow(ConfigError);
    expect(() => resolveScheme({ dtype: 'int16' as never })).toThrow(/unknown dtype "int16"/);
    expect(() => resolveScheme({ axis: -1 })).toThrow(ConfigError);
    expect(() => computeQParams([0], [Infinity], resolveScheme())).toThrow(ConfigError);
    expect(() => computeQParams([], [], resolveScheme())).toThrow(BonsaiError);
    const qp = computeQParams([0, 0], [1, 1], resolveScheme({ perChannel: true, axis: 0 }), 0);
    expect(() => quantizeArray([1, 2, 3], [3], qp)).toThrow(/2 scales, the tensor of shape \[3\] has 3 channels/);
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor([[0.1, -0.2], [0.3, 0.4]]);
    const qp = computeQParams([-0.2, -0.5], [0.3, 0.4], resolveScheme({ perChannel: true, axis: 1 }), 1);
    const q = quantize(x, qp);
    tf.dispose([dequantize(q, qp), q]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
