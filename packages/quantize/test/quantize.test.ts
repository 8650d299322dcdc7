import * as tf from '@tensorflow/tfjs-core';
import { adam, BonsaiError, ConfigError, train, type Model } from '@bonsai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activationTargets, calibrate, convert, prepareQat, prepareStatic, quantizeDynamic, QuantizedModel, type PreparedModel, type QParams } from '../src/index';
import { accuracy, bandData, maxAbsDiff, outputOf, tinyCnn, tinyResidual, useWasm } from './helpers';

let model: Model;
let data: { x: tf.Tensor; y: tf.Tensor; labels: number[] };
let floatAcc: number;

beforeAll(async () => {
  await useWasm();
  model = tinyCnn(7, 4, 0.8);
  data = bandData(256);
  await train(model, { x: data.x, y: data.y }, { epochs: 4, batchSize: 32, optimizer: adam({ lr: 0.01 }), seed: 1 });
  floatAcc = accuracy(outputOf(model, data.x), data.labels, 4);
});

afterAll(() => {
  model.dispose();
  tf.dispose([data.x, data.y]);
});

/** Every value of `t` lies on the integer grid of `qp` (per-tensor). */
function expectOnGrid(values: Float32Array, qp: QParams, what: string): void {
  const s = qp.scale[0]!;
  const zp = qp.zeroPoint[0]!;
  for (const v of values) {
    const q = v / s + zp;
    if (Math.abs(q - Math.round(q)) > 1e-3 || Math.round(q) < qp.qmin || Math.round(q) > qp.qmax) {
      throw new Error(`${what}: ${v} is not on the grid (scale ${s}, zero point ${zp}): q = ${q}`);
    }
  }
}

describe('quantization workflows', () => {
  it('the float model learned the task', () => {
    expect(floatAcc).toBeGreaterThan(0.9);
  });

  it('quantizeDynamic: int8 per-channel weights on their grid, float activations, close outputs', () => {
    const q = quantizeDynamic(model);
    expect(q).toBeInstanceOf(QuantizedModel);
    expect(q.mode).toBe('dynamic');
    expect(q.activationQParams.size).toBe(0);
    expect([...q.quantizedWeights.keys()].sort()).toEqual(['conv1/kernel', 'conv2/kernel', 'dw/kernel', 'fc1/kernel', 'fc2/kernel']);
    const conv1 = q.quantizedWeights.get('conv1/kernel')!;
    expect(conv1.qparams.scale.length).toBe(4);
    expect(q.quantizedWeights.get('dw/kernel')!.qparams.axis).toBe(2);
    const dq = q.param('conv1', 'kernel')!.value.dataSync();
    dq.forEach((v, i) => {
      const c = i % 4;
      expect(Number.isInteger(Math.round(v / conv1.qparams.scale[c]!))).toBe(true);
      expect(v).toBe(Math.fround(conv1.values[i]! * conv1.qparams.scale[c]!));
    });
    const a = outputOf(model, data.x);
    const b = outputOf(q, data.x);
    expect(maxAbsDiff(a, b)).toBeLessThan(0.05 * Math.max(...a.map(Math.abs)));
    expect(accuracy(b, data.labels, 4)).toBeGreaterThanOrEqual(floatAcc - 0.02);
    q.dispose();
  });

  it('static PTQ: calibrated activations are exactly on their int8 grid; accuracy holds', () => {
    const prepared = prepareStatic(model);
    expect([...prepared.observers.keys()]).toEqual(['input', 'relu1', 'relu_dw', 'relu2', 'relu_fc1', 'fc2']);
    const stats = prepared.calibrate(data.x, { batchSize: 100 });
    expect(stats).toEqual({ batches: 3, samples: 256 });
    const q = convert(prepared);
    expect(q.mode).toBe('static');
    const r = q.run(data.x, { capture: [...q.activationQParams.keys(), 'pool1'] });
    for (const [id, qp] of q.activationQParams) expectOnGrid(r.captured[id]!.dataSync() as Float32Array, qp, id);
    // max pooling passes the grid of relu1 through
    expectOnGrid(r.captured.pool1!.dataSync() as Float32Array, q.activationQParams.get('relu1')!, 'pool1');
    // the input grid of [0, 1] data: affine int8, zero point -128
    expect(q.activationQParams.get('input')!.zeroPoint[0]).toBe(-128);
    tf.dispose([r.output, ...r.outputs, ...Object.values(r.captured)]);
    expect(accuracy(outputOf(q, data.x), data.labels, 4)).toBeGreaterThanOrEqual(floatAcc - 0.02);
    prepared.dispose();
    q.dispose();
  });

  it('static PTQ with percentile / MSE observers and uint8 activations converts too', () => {
    for (const observer of ['percentile', 'mse', 'movingAverage'] as const) {
      const prepared = prepareStatic(model, { activations: { dtype: 'uint8', symmetric: false, observer }, weights: { observer: 'mse' } });
      prepared.calibrate([tf.slice(data.x, 0, 64), { x: tf.slice(data.x, 64, 64) }]);
      const q = prepared.convert();
      expect(q.activationQParams.get('relu1')!.qmin).toBe(0);
      expect(accuracy(outputOf(q, data.x), data.labels, 4)).toBeGreaterThanOrEqual(floatAcc - 0.05);
      prepared.dispose();
      q.dispose();
    }
  });

  it('default activation placement fuses ReLU after conv/add and skips passthrough ops', () => {
    const m = tinyResidual();
    expect(activationTargets(m.graph, {})).toEqual(['input', 'r1', 'c2', 'skip', 'r2', 'gap', 'fc']);
    m.dispose();
  });

  it('QAT: core train() trains through fake quantization (STE), then converts', async () => {
    const qat = prepareQat(model);
    const before = qat.param('fc1', 'kernel')!.value.dataSync().slice();
    const history = await train(qat, { x: data.x, y: data.y }, { epochs: 2, batchSize: 32, optimizer: adam({ lr: 1e-3 }), seed: 3 });
    expect(history.epochLosses.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(before, qat.param('fc1', 'kernel')!.value.dataSync())).toBeGreaterThan(0);
    expect(qat.observers.get('relu1')!.count).toBe(16);
    const q = convert(qat);
    expect(q.mode).toBe('qat');
    const a = outputOf(qat, data.x);
    const b = outputOf(q, data.x);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-3 * Math.max(...a.map(Math.abs)) + 1e-5);
    expect(accuracy(b, data.labels, 4)).toBeGreaterThanOrEqual(floatAcc - 0.02);
    qat.dispose();
    q.dispose();
  });

  it('bad configs give typed errors naming the problem', () => {
    expect(() => prepareStatic(model, { activationNodes: ['nope'] })).toThrow(/activationNodes: no node "nope"/);
    try {
      prepareStatic(model, { skip: ['ghost'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BonsaiError);
      expect((e as BonsaiError).code).toBe('UNKNOWN_NODE');
    }
    expect(() => quantizeDynamic(model, { weights: { bits: 12 } })).toThrow(ConfigError);
    expect(() => prepareQat(model, { activations: { bits: 0 } })).toThrow(/bits must be an integer in \[2, 8\]/);
    expect(() => prepareStatic(model, { activations: { perChannel: true } })).toThrow(ConfigError);
    const prepared = prepareStatic(model);
    const empty = tf.zeros([0, 8, 8, 1]);
    expect(() => prepared.calibrate(empty)).toThrow(/calibration data holds no samples/);
    expect(() => prepared.calibrate([])).toThrow(BonsaiError);
    expect(() => prepared.calibrate(null as unknown as tf.Tensor)).toThrow(ConfigError);
    expect(() => calibrate(null as unknown as PreparedModel, empty)).toThrow(/first argument must be a PreparedModel/);
    expect(() => calibrate(prepared, 7 as unknown as tf.Tensor)).toThrow(/data must be a tensor or an iterable/);
    expect(() => prepared.convert()).toThrow(/observer "input" has seen no data/);
    empty.dispose();
    prepared.dispose();
  });

  it('skip keeps a node float; foldBatchNorm: false keeps BN', () => {
    const q = quantizeDynamic(model, { skip: ['fc2'], foldBatchNorm: false });
    expect(q.quantizedWeights.has('fc2/kernel')).toBe(false);
    expect(q.graph.has('bn1')).toBe(true);
    q.dispose();
  });

  it('leaks no tensors across prepare / calibrate / convert / run / dispose', () => {
    const before = tf.memory().numTensors;
    const d = quantizeDynamic(model);
    outputOf(d, data.x);
    d.dispose();
    const p = prepareStatic(model);
    p.calibrate(data.x);
    const q = p.convert();
    outputOf(q, data.x);
    outputOf(p, data.x);
    p.dispose();
    q.dispose();
    const qat = prepareQat(model);
    outputOf(qat, data.x);
    tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(qat.forward(x, { training: true })))(tf.slice(data.x, 0, 4))).dispose();
    qat.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
