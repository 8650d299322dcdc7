import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bonsaiGradients, registerGradients, type Grad } from '../src/index';
import { useWasm } from './helpers';
// Oracle: tfjs-core's own gradient configs (vitest resolves this deep module; apps never load it).
// It replaces Bonsai's registrations, so each case below swaps the two in and out.
import '@tensorflow/tfjs-core/dist/register_all_gradients';

type Case = { inputs: () => tf.Tensor[]; f: (...xs: tf.Tensor[]) => tf.Tensor };

const r = (shape: number[], seed: number, lo = -2, hi = 2): tf.Tensor => tf.randomUniform(shape, lo, hi, 'float32', seed);
const pos = (shape: number[], seed: number): tf.Tensor => r(shape, seed, 0.5, 2);
/** Distinct values, so max pooling has no ties (wasm and tfjs route ties differently). */
const distinct = (shape: number[]): tf.Tensor => tf.reshape(tf.mul(tf.range(0, shape.reduce((a, b) => a * b, 1)), 0.37), shape);
const unaryCase = (f: (x: tf.Tensor) => tf.Tensor, x: () => tf.Tensor = () => r([2, 3], 1)): Case => ({ inputs: () => [x()], f });
const binaryCase = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, b: () => tf.Tensor = () => r([3], 2)): Case => ({ inputs: () => [r([2, 3], 1), b()], f });

/** One or more cases per kernel Bonsai registers a gradient for. */
const cases: Record<string, Case[]> = {
  Add: [binaryCase((a, b) => tf.add(a, b))],
  AddN: [{ inputs: () => [r([2, 3], 1), r([2, 3], 2), r([2, 3], 3)], f: (a, b, c) => tf.addN([a!, b!, c!]) }],
  Sub: [binaryCase((a, b) => tf.sub(a, b))],
  Multiply: [binaryCase((a, b) => tf.mul(a, b)), { inputs: () => [r([2, 1, 3], 1), r([4, 1], 2)], f: (a, b) => tf.mul(a!, b!) }],
  RealDiv: [binaryCase((a, b) => tf.div(a, b), () => pos([3], 2))],
  // tfjs's own SquaredDifference/Maximum/Minimum gradients do not reduce broadcast inputs: same shapes here.
  SquaredDifference: [binaryCase((a, b) => tf.squaredDifference(a, b), () => r([2, 3], 2))],
  Maximum: [binaryCase((a, b) => tf.maximum(a, b), () => r([2, 3], 2))],
  Minimum: [binaryCase((a, b) => tf.minimum(a, b), () => r([2, 3], 2))],
  Pow: [{ inputs: () => [pos([2, 3], 1), r([3], 2)], f: (a, b) => tf.pow(a!, b!) }],
  Neg: [unaryCase((x) => tf.neg(x))],
  Exp: [unaryCase((x) => tf.exp(x))],
  Log: [unaryCase((x) => tf.log(x), () => pos([2, 3], 1))],
  Sqrt: [unaryCase((x) => tf.sqrt(x), () => pos([2, 3], 1))],
  Rsqrt: [unaryCase((x) => tf.rsqrt(x), () => pos([2, 3], 1))],
  Square: [unaryCase((x) => tf.square(x))],
  Reciprocal: [unaryCase((x) => tf.reciprocal(x), () => pos([2, 3], 1))],
  Abs: [unaryCase((x) => tf.abs(x))],
  Relu: [unaryCase((x) => tf.relu(x))],
  Relu6: [unaryCase((x) => tf.relu6(x), () => r([4, 5], 1, -3, 9))],
  LeakyRelu: [unaryCase((x) => tf.leakyRelu(x, 0.2))],
  Elu: [unaryCase((x) => tf.elu(x))],
  Selu: [unaryCase((x) => tf.selu(x))],
  Sigmoid: [unaryCase((x) => tf.sigmoid(x))],
  Tanh: [unaryCase((x) => tf.tanh(x))],
  Softplus: [unaryCase((x) => tf.softplus(x))],
  Erf: [unaryCase((x) => tf.erf(x))],
  ClipByValue: [unaryCase((x) => tf.clipByValue(x, -0.5, 0.7))],
  Cast: [unaryCase((x) => tf.cast(tf.mul(x, 2), 'float32'))],
  Identity: [unaryCase((x) => tf.clone(x))],
  Step: [unaryCase((x) => tf.mul(tf.step(x), x))],
  Floor: [unaryCase((x) => tf.add(tf.floor(x), x))],
  Ceil: [unaryCase((x) => tf.add(tf.ceil(x), x))],
  Round: [unaryCase((x) => tf.add(tf.round(x), x))],
  Sign: [unaryCase((x) => tf.add(tf.sign(x), x))],
  Prelu: [binaryCase((x, a) => tf.prelu(x, a))],
  Sum: [unaryCase((x) => tf.sum(x, 1)), unaryCase((x) => tf.sum(x)), unaryCase((x) => tf.sum(x, [0], true))],
  Mean: [unaryCase((x) => tf.mean(x, 0)), unaryCase((x) => tf.mean(x, [0, 1]))],
  Max: [unaryCase((x) => tf.max(x, 1))],
  Min: [unaryCase((x) => tf.min(x, 0))],
  Softmax: [unaryCase((x) => tf.softmax(x))],
  Reshape: [unaryCase((x) => tf.mul(tf.reshape(x, [3, 2]), tf.tensor([1, 2]))) ],
  ExpandDims: [unaryCase((x) => tf.mul(tf.expandDims(x, 1), tf.tensor([1, 2], [2, 1, 1])))],
  Transpose: [unaryCase((x) => tf.mul(tf.transpose(x, [1, 0]), tf.tensor([1, 2], [1, 2])))],
  Concat: [{ inputs: () => [r([2, 3], 1), r([2, 1], 2)], f: (a, b) => tf.mul(tf.concat([a!, b!], 1), tf.tensor([1, 2, 3, 4])) }],
  SplitV: [unaryCase((x) => {
    const [p, q] = tf.split(x, [1, 2], 1);
    return tf.add(tf.mul(tf.sum(p!), 3), tf.sum(tf.square(q!)));
  })],
  Unpack: [unaryCase((x) => {
    const [p, q] = tf.unstack(x, 0);
    return tf.mul(p!, tf.exp(q!));
  })],
  Slice: [unaryCase((x) => tf.slice(x, [0, 1], [2, 2]))],
  PadV2: [unaryCase((x) => tf.mul(tf.pad(x, [[1, 0], [0, 2]], 0.5), 3))],
  Pack: [{ inputs: () => [r([2, 3], 1), r([2, 3], 2)], f: (a, b) => tf.mul(tf.stack([a!, b!], 1), tf.tensor([1, 2], [1, 2, 1])) }],
  Tile: [unaryCase((x) => tf.mul(tf.tile(x, [2, 3]), distinct([4, 9])))],
  Select: [binaryCase((a, b) => tf.where(tf.tensor([true, false, true], [3], 'bool'), a, tf.mul(tf.add(a, b), 2)))],
  Greater: [binaryCase((a, b) => tf.add(tf.where(tf.greater(a, b), a, b), tf.cast(tf.greater(a, b), 'float32')))],
  GreaterEqual: [binaryCase((a, b) => tf.add(a, tf.cast(tf.greaterEqual(a, b), 'float32')))],
  Less: [binaryCase((a, b) => tf.add(a, tf.cast(tf.less(a, b), 'float32')))],
  LessEqual: [binaryCase((a, b) => tf.add(a, tf.cast(tf.lessEqual(a, b), 'float32')))],
  Equal: [binaryCase((a, b) => tf.add(a, tf.cast(tf.equal(a, b), 'float32')))],
  NotEqual: [binaryCase((a, b) => tf.add(a, tf.cast(tf.notEqual(a, b), 'float32')))],
  BatchMatMul: [
    { inputs: () => [r([2, 3], 1), r([3, 4], 2)], f: (a, b) => tf.matMul(a!, b!) },
    { inputs: () => [r([3, 2], 1), r([3, 4], 2)], f: (a, b) => tf.matMul(a!, b!, true, false) },
    { inputs: () => [r([2, 3], 1), r([4, 3], 2)], f: (a, b) => tf.matMul(a!, b!, false, true) },
    { inputs: () => [r([3, 2], 1), r([4, 3], 2)], f: (a, b) => tf.matMul(a!, b!, true, true) },
    { inputs: () => [r([5, 2, 3], 1), r([5, 3, 4], 2)], f: (a, b) => tf.matMul(a!, b!) },
  ],
  MaxPool: [unaryCase((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), () => tf.reverse(distinct([1, 4, 4, 2]), 1))],
  AvgPool: [unaryCase((x) => tf.avgPool(x as tf.Tensor4D, 2, 1, 'same'), () => r([1, 3, 3, 2], 1))],
  ResizeBilinear: [unaryCase((x) => tf.image.resizeBilinear(x as tf.Tensor4D, [5, 3]), () => r([1, 3, 2, 2], 1))],
  ResizeNearestNeighbor: [unaryCase((x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 4]), () => r([1, 3, 2, 2], 1))],
  FusedBatchNorm: [{
    inputs: () => [r([4, 3], 1), r([3], 2), pos([3], 3), r([3], 4), r([3], 5)],
    f: (x, m, v, o, s) => tf.batchNorm(x!, m!, v!, o!, s!, 1e-3),
  }],
};

/** Gradients of sum(f(xs) * w) for a fixed random w, with whatever configs are registered. */
function gradsOf(c: Case): Float32Array[] {
  return tf.tidy(() => {
    const xs = c.inputs();
    const probe = c.f(...xs);
    const w = tf.randomUniform(probe.shape, -1, 1, 'float32', 99);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(c.f(...ys), w)))(xs);
    return g.map((t) => t.dataSync() as Float32Array);
  });
}

describe("Bonsai's gradient configs match tfjs-core's own (oracle)", () => {
  const theirs = new Map<string, tf.GradConfig>();
  const restore = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  beforeAll(async () => {
    await useWasm();
    for (const g of bonsaiGradients) theirs.set(g.kernelName, tf.getGradient(g.kernelName));
  });
  afterAll(() => {
    for (const g of bonsaiGradients) tf.registerGradient(g as tf.GradConfig);
    restore.mockRestore();
  });

  it('every registered kernel has a test case', () => {
    expect(bonsaiGradients.map((g) => g.kernelName).filter((k) => !(k in cases))).toEqual([]);
  });

  for (const g of bonsaiGradients as Grad[]) {
    it(g.kernelName, () => {
      // Comparisons other than GreaterEqual have no tfjs gradient: the hand oracle is zero for them.
      const tfjs: tf.GradConfig = theirs.get(g.kernelName) ?? { kernelName: g.kernelName, inputsToSave: ['a', 'b'], gradFunc: (_dy, [a, b]) => ({ a: () => tf.zerosLike(a!), b: () => tf.zerosLike(b!) }) };
      for (const c of cases[g.kernelName] ?? []) {
        tf.registerGradient(tfjs);
        const expected = gradsOf(c);
        tf.registerGradient(g as tf.GradConfig);
        const before = tf.memory().numTensors;
        const actual = gradsOf(c);
        expect(tf.memory().numTensors).toBe(before);
        expect(actual.length).toBe(expected.length);
        actual.forEach((a, i) => {
          const e = expected[i]!;
          expect(a.length).toBe(e.length);
          const worst = Math.max(...Array.from(a, (v, j) => Math.abs(v - e[j]!) / (1 + Math.abs(e[j]!))));
          expect(worst, `${g.kernelName} input ${i}`).toBeLessThan(1e-5);
        });
      }
    });
  }
});

describe('registerGradients', () => {
  // Collected before any hook runs: register_all_gradients (imported after core) replaced Bonsai's configs with tfjs's.
  const tfjs = bonsaiGradients.map((g) => tf.getGradient(g.kernelName) ?? (g as tf.GradConfig));
  it("keeps gradients already registered (tfjs's own) by default, replaces them with replace: true and returns them", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      for (const t of tfjs) tf.registerGradient(t);
      const foreign = tfjs.filter((t, i) => t !== (bonsaiGradients[i] as tf.GradConfig));
      expect(foreign.length).toBeGreaterThan(40);
      expect(registerGradients()).toEqual([]);
      expect(bonsaiGradients.map((g) => tf.getGradient(g.kernelName))).toEqual(tfjs);
      const replaced = registerGradients({ replace: true });
      expect(new Set(replaced)).toEqual(new Set(foreign));
      for (const g of bonsaiGradients) expect(tf.getGradient(g.kernelName)).toBe(g);
      expect(registerGradients({ replace: true })).toEqual([]);
      for (const t of replaced) tf.registerGradient(t);
      expect(tf.getGradient(foreign[0]!.kernelName)).toBe(foreign[0]);
    } finally {
      for (const g of bonsaiGradients) tf.registerGradient(g as tf.GradConfig);
      warn.mockRestore();
    }
  });
});
