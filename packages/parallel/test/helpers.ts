import * as tf from '@tensorflow/tfjs-core';
import { createRng, crossEntropy, GraphBuilder, Model, normal, type Optimizer, shuffledIndices } from '@bonsai/core';

/** A small conv net without batch norm or dropout: conv 3x3 (4) - relu - maxPool - flatten - dense 5. */
export function tinyConvNet(seed = 1): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 1], { name: 'input' });
  const h = b.maxPool(b.relu(b.conv2d(x, { filters: 4, kernel: 3, padding: 'same', name: 'conv' })), { name: 'pool' });
  return Model.create(b.build(b.dense(b.flatten(h, { name: 'flatten' }), { units: 5, name: 'fc' })), { seed });
}

/** The same net with a batch norm after the conv. */
export function tinyBnNet(seed = 1): Model {
  const b = new GraphBuilder();
  const x = b.input([6, 6, 1], { name: 'input' });
  const h = b.maxPool(b.relu(b.batchNorm(b.conv2d(x, { filters: 4, kernel: 3, padding: 'same', useBias: false, name: 'conv' }), { name: 'bn' })), { name: 'pool' });
  return Model.create(b.build(b.dense(b.flatten(h, { name: 'flatten' }), { units: 5, name: 'fc' })), { seed });
}

/** Seeded Gaussian inputs [n, 6, 6, 1] and one-hot targets over 5 classes. */
export function syntheticData(n: number, seed = 7): { x: tf.Tensor; y: tf.Tensor } {
  const rng = createRng(seed);
  const x = tf.tensor4d(Float32Array.from({ length: n * 36 }, () => normal(rng)), [n, 6, 6, 1]);
  const labels = tf.tensor1d(Int32Array.from({ length: n }, () => Math.floor(rng() * 5)), 'int32');
  const y = tf.oneHot(labels, 5);
  labels.dispose();
  return { x, y: tf.cast(y, 'float32') };
}

/** All params of a model as flat arrays, by name. */
export function weightsOf(model: Model): Record<string, Float32Array> {
  return Object.fromEntries([...model.params].map(([name, p]) => [name, p.value.dataSync() as Float32Array]));
}

/**
 * The oracle: single-thread training with gradient accumulation, written with tfjs ops. Each
 * global batch (core's `train` order: `shuffledIndices(n, seed + epoch)`) is split into `shards`
 * contiguous micro-batches of sizes floor((r+1)B/K) - floor(rB/K); their mean-loss gradients are
 * combined as (g0 + g1 + ...) / K when all are equal, else (n0 g0 + n1 g1 + ...) / B. Batch norm
 * sees each micro-batch's own statistics; only micro-batch 0 updates the running statistics.
 */
export function accumulationOracle(model: Model, data: { x: tf.Tensor; y: tf.Tensor }, o: { shards: number; batchSize: number; epochs: number; seed: number; optimizer: Optimizer }): void {
  const n = data.x.shape[0]!;
  const params = model.trainableParams();
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = shuffledIndices(n, o.seed + epoch);
    for (let i = 0; i < n; i += o.batchSize) {
      const idx = Array.from(order.subarray(i, Math.min(n, i + o.batchSize)));
      const bounds = Array.from({ length: o.shards + 1 }, (_, r) => Math.floor((r * idx.length) / o.shards));
      const sizes = bounds.slice(1).map((b, r) => b - bounds[r]!).filter((s) => s > 0);
      const grads: Array<Record<string, tf.Tensor>> = [];
      for (let r = 0; r < o.shards; r++) {
        if (bounds[r + 1] === bounds[r]) continue;
        const t = tf.tensor1d(idx.slice(bounds[r], bounds[r + 1]), 'int32');
        const xs = tf.gather(data.x, t);
        const ys = tf.gather(data.y, t);
        const { value, grads: g } = tf.variableGrads(() => crossEntropy(model.run(xs, { training: true, skipStateUpdates: r > 0 }).output, ys), params.map((p) => p.value));
        grads.push(Object.fromEntries(params.map((p) => [p.name, g[p.value.name]!])));
        tf.dispose([t, xs, ys, value]);
      }
      const equal = sizes.every((s) => s === sizes[0]);
      const mean = tf.tidy(() => Object.fromEntries(params.map((p) => {
        let acc = equal ? grads[0]![p.name]! : tf.mul(grads[0]![p.name]!, sizes[0]!);
        for (let k = 1; k < grads.length; k++) acc = tf.add(acc, equal ? grads[k]![p.name]! : tf.mul(grads[k]![p.name]!, sizes[k]!));
        return [p.name, grads.length === 1 ? acc : tf.div(acc, equal ? grads.length : idx.length)];
      })));
      grads.forEach((g) => tf.dispose(Object.values(g)));
      o.optimizer.step(params, mean);
      tf.dispose(Object.values(mean));
    }
  }
}
