import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, initBackend, Model, createRng } from '@bonsai/core';

/** Activates the wasm backend (tests run on wasm). */
export async function useWasm(): Promise<void> {
  await initBackend('wasm');
}

/** Max |a - b| over two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Values of a model's output on `x` (inference mode). */
export function outputOf(model: Model, x: tf.Tensor): Float32Array {
  return tf.tidy(() => model.forward(x).dataSync() as Float32Array);
}

/** Overwrites every BN's statistics and affine params with seeded non-trivial values. */
export function randomizeBatchNorm(model: Model, seed = 5): void {
  const rng = createRng(seed);
  for (const node of model.graph.nodes) {
    if (node.op !== 'batchNorm') continue;
    const set = (role: string, f: () => number): void => {
      const p = model.param(node.id, role)!;
      const t = tf.tensor(Array.from({ length: p.size }, f), p.shape);
      p.assign(t);
      t.dispose();
    };
    set('gamma', () => 0.5 + rng());
    set('beta', () => rng() - 0.5);
    set('movingMean', () => 0.4 * (rng() - 0.5));
    set('movingVariance', () => 0.2 + rng());
  }
}

/** Tiny CNN on 8x8x1: conv-bn-relu, maxpool, depthwise-bn-relu, conv-bn-relu, flatten, dense-bn-relu, dense. */
export function tinyCnn(seed = 1, classes = 4, momentum = 0.99): Model {
  const b = new GraphBuilder();
  let h = b.input([8, 8, 1], { name: 'input' });
  h = b.relu(b.batchNorm(b.conv2d(h, { filters: 4, kernel: 3, useBias: false, name: 'conv1' }), { name: 'bn1', momentum }), { name: 'relu1' });
  h = b.maxPool(h, { name: 'pool1' });
  h = b.relu(b.batchNorm(b.depthwiseConv2d(h, { kernel: 3, multiplier: 2, name: 'dw' }), { name: 'bn_dw', momentum }), { name: 'relu_dw' });
  h = b.relu(b.batchNorm(b.conv2d(h, { filters: 6, kernel: 1, name: 'conv2' }), { name: 'bn2', momentum }), { name: 'relu2' });
  h = b.flatten(h, { name: 'flatten' });
  h = b.relu(b.batchNorm(b.dense(h, { units: 12, name: 'fc1' }), { name: 'bn_fc1', momentum }), { name: 'relu_fc1' });
  return Model.create(b.build(b.dense(h, { units: classes, name: 'fc2' })), { seed });
}

/** A small residual CNN (add node) for activation placement tests. */
export function tinyResidual(seed = 2): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 2], { name: 'input' });
  const c1 = b.relu(b.conv2d(x, { filters: 3, kernel: 3, name: 'c1' }), { name: 'r1' });
  const c2 = b.conv2d(c1, { filters: 3, kernel: 3, name: 'c2' });
  const skip = b.conv2d(x, { filters: 3, kernel: 1, name: 'skip' });
  const s = b.relu(b.add([c2, skip], { name: 'add' }), { name: 'r2' });
  const g = b.globalAvgPool(s, { name: 'gap' });
  return Model.create(b.build(b.dense(g, { units: 3, name: 'fc' })), { seed });
}

/**
 * Seeded synthetic classification on [n, 8, 8, 1]: class c brightens the c-th horizontal band.
 * Returns x and one-hot y (caller disposes).
 */
export function bandData(n: number, classes = 4, seed = 3): { x: tf.Tensor; y: tf.Tensor; labels: number[] } {
  const rng = createRng(seed);
  const xs = new Float32Array(n * 64);
  const ys = new Float32Array(n * classes);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels.push(c);
    ys[i * classes + c] = 1;
    for (let j = 0; j < 64; j++) {
      const row = Math.floor(j / 8);
      const band = Math.floor((row * classes) / 8);
      xs[i * 64 + j] = (band === c ? 0.7 : 0) + 0.3 * rng();
    }
  }
  return { x: tf.tensor(xs, [n, 8, 8, 1]), y: tf.tensor(ys, [n, classes]), labels };
}

/** Fraction of rows whose argmax equals the label. */
export function accuracy(logits: Float32Array, labels: number[], classes: number): number {
  let ok = 0;
  labels.forEach((l, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === l) ok++;
  });
  return ok / labels.length;
}
