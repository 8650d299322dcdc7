import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';
import { loadInt8Kernels, type Int8Kernels } from '@bonsai/int8-kernels';
import { mobileNet, resnet20, smallCnn } from '@bonsai/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INT8_KERNELS, prepareStatic, type QuantizedModel } from '../../src/index';
import { randomizeBatchNorm, useWasm } from '../helpers';
import { out, runThreeWays } from './three-ways';

let kernels: Int8Kernels;
beforeAll(async () => {
  await useWasm();
  kernels = await loadInt8Kernels({ variant: 'simd128' });
});

function quantized(model: Model, shape: readonly number[], seed: number): { q: QuantizedModel; x: tf.Tensor } {
  randomizeBatchNorm(model, seed);
  const calib = tf.randomUniform([16, ...shape], 0, 1, 'float32', seed);
  const p = prepareStatic(model);
  p.calibrate(calib);
  const q = p.convert();
  p.dispose();
  calib.dispose();
  model.dispose();
  return { q, x: tf.randomUniform([3, ...shape], 0, 1, 'float32', seed + 1) };
}


const cases: Array<[string, () => Model, readonly number[]]> = [
  ['smallCnn', () => smallCnn({ widths: [4, 8], hidden: 16, seed: 1, inputShape: [12, 12, 1] }), [12, 12, 1]],
  ['resnet20', () => resnet20({ base: 4, seed: 2, inputShape: [8, 8, 3] }), [8, 8, 3]],
  ['mobileNet', () => mobileNet({ widths: [8, 12, 16, 20], seed: 3, inputShape: [12, 12, 3] }), [12, 12, 3]],
];

describe.each(cases)('QuantizedModel on int8 kernels: %s', (_name, make, shape) => {
  let q: QuantizedModel;
  let x: tf.Tensor;
  beforeAll(() => {
    const m = make();
    ({ q, x } = quantized(m, shape, shape.length * 7 + shape[0]!));
  });
  afterAll(() => {
    q.dispose();
    x.dispose();
  });

  it('runs conv2d / depthwise / dense nodes on int8 kernels, bit-exact to the integer reference', () => {
    const before = tf.memory().numTensors;
    const { simulated, reference, wasm, referencePlan: plan } = runThreeWays(q, x, kernels);
    expect(tf.memory().numTensors).toBe(before);
    const steps = plan.describe();
    const quantizable = steps.filter((s) => s.op in INT8_KERNELS);
    expect(quantizable.length).toBeGreaterThan(0);
    expect(quantizable.filter((s) => s.kind !== 'int8'), JSON.stringify(quantizable)).toEqual([]);
    expect(Array.from(wasm)).toEqual(Array.from(reference));
    // The integer reference rounds the exact int32 sum; the simulation rounds a float32 sum, so
    // single grid steps may differ near a .5 boundary. The outputs stay close and mostly equal.
    const step = q.activationQParams.get(q.graph.outputs[0]!)!.scale[0]!;
    let equal = 0;
    let maxDiff = 0;
    for (let i = 0; i < wasm.length; i++) {
      const d = Math.abs(wasm[i]! - simulated[i]!);
      maxDiff = Math.max(maxDiff, d);
      if (d === 0) equal++;
    }
    expect(maxDiff).toBeLessThanOrEqual(8 * step);
    expect(equal / wasm.length).toBeGreaterThan(0.5);
  });

  it('keeps activations int8 between consecutive int8 layers (no float step between them)', () => {
    const plan = q.useIntegerKernels(kernels)!;
    q.useIntegerKernels(undefined);
    const steps = plan.describe();
    // Every node runs int8 (global average pooling included); the logits are dequantized at the end.
    expect(steps.filter((s) => s.kind === 'float')).toEqual([]);
    expect(plan.int8Layers).toBe(steps.filter((s) => s.kind === 'int8').length);
  });

  it('keeps int8 values in the kernels\' memory during a run and frees them after it', () => {
    q.useIntegerKernels(kernels);
    const a = out(q, x);
    const bytes = kernels.memoryBytes;
    const b = out(q, x);
    q.useIntegerKernels(undefined);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(kernels.memoryBytes).toBe(bytes);
  });
});
