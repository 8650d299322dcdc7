import * as tf from '@tensorflow/tfjs-core';
import { loadInt8Kernels, type Int8Kernels } from '@bonsai/int8-kernels';
import { vit } from '@bonsai/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareStatic, type QuantizedModel, type QuantizeOptions } from '../../src/index';
import { useWasm } from '../helpers';
import { out, runThreeWays } from './three-ways';

let kernels: Int8Kernels;
beforeAll(async () => {
  await useWasm();
  kernels = await loadInt8Kernels({ variant: 'simd128' });
});

function quantizedVit(options: QuantizeOptions, fusedQkv: boolean): { q: QuantizedModel; x: tf.Tensor } {
  const model = vit({ patch: 7, dim: 16, depth: 1, heads: 2, inputShape: [14, 14, 1], fusedQkv, seed: 4 });
  const calib = tf.randomUniform([16, 14, 14, 1], 0, 1, 'float32', 5);
  const p = prepareStatic(model, options);
  p.calibrate(calib);
  const q = p.convert();
  for (const d of [p, model, calib]) d.dispose();
  return { q, x: tf.randomUniform([3, 14, 14, 1], 0, 1, 'float32', 6) };
}


describe.each([false, true])('a ViT on int8 kernels (fused QKV %s)', (fusedQkv) => {
  let q: QuantizedModel;
  let x: tf.Tensor;
  beforeAll(() => {
    // Per-tensor weight scales (the default per-channel scales are tested below).
    ({ q, x } = quantizedVit({ weights: { perChannel: false } }, fusedQkv));
  });
  afterAll(() => {
    q.dispose();
    x.dispose();
  });

  it('runs attention, projections, dense layers and GELU (a lookup table) int8, the WASM kernels bit-exact to the integer reference', () => {
    const before = tf.memory().numTensors;
    const { simulated, reference, wasm, referencePlan } = runThreeWays(q, x, kernels);
    expect(tf.memory().numTensors).toBe(before);
    const kinds = Object.fromEntries(referencePlan.describe().map((s) => [s.node, s.kind]));
    expect(kinds).toMatchObject({ patch_embed: 'int8', tokens: 'reshape', blk1_attn: 'int8', blk1_add1: 'int8add', blk1_fc1: 'int8', blk1_gelu: 'int8', blk1_fc2: 'int8', head: 'int8' });
    expect(Array.from(wasm)).toEqual(Array.from(reference));
    // Q, K, V, the probabilities and the context are quantized inside the attention (the simulation
    // keeps them float): the logits stay within a few output grid steps of the simulation's.
    const step = q.activationQParams.get('head')!.scale[0]!;
    const maxDiff = Math.max(...Array.from(wasm, (v, i) => Math.abs(v - simulated[i]!)));
    expect(maxDiff).toBeLessThanOrEqual(6 * step);
  });
});

describe('a ViT quantized with per-channel weights (the default)', () => {
  it('runs its attention int8 with one scale per Q / K / V output column, bit-exact to the integer reference', () => {
    const { q, x } = quantizedVit({}, false);
    expect(q.quantizedWeights.get('blk1_attn/wq')?.qparams.axis).toBe(1);
    const { reference, wasm, referencePlan, plan } = runThreeWays(q, x, kernels);
    expect(plan.describe().find((s) => s.node === 'blk1_attn')!.kind).toBe('int8');
    expect(referencePlan.describe().find((s) => s.node === 'blk1_attn')!.kind).toBe('int8');
    expect(Array.from(wasm)).toEqual(Array.from(reference));
    q.dispose();
    x.dispose();
  });

  it('runs its attention in float and says why when Q / K / V scales are put on input rows (axis 0)', () => {
    const { q, x } = quantizedVit({ weights: { axis: 0 } }, false);
    const plan = q.useIntegerKernels(kernels)!;
    const attn = plan.describe().find((s) => s.node === 'blk1_attn')!;
    expect(attn.kind).toBe('float');
    expect(attn.reason).toMatch(/weight scales run along axis 0/);
    const simulatedPlan = out(q, x);
    q.useIntegerKernels(undefined);
    expect(simulatedPlan.every(Number.isFinite)).toBe(true);
    q.dispose();
    x.dispose();
  });
});
