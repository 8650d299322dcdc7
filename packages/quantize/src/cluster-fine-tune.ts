import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Callback, type Model } from '@bonsai/core';
import type { Clustering } from './cluster';

/**
 * A core `train()` callback that fine-tunes the centroids of clustered weights (Han et al. 2016,
 * "Deep Compression" §3.1; tfmot's trainable cluster centroids): in `onAfterBackward` each
 * clustered weight's gradient is replaced by the sum of the gradients of all weights sharing its
 * centroid (0 for kept zeros). Every member of a cluster then gets the same gradient, so any
 * elementwise optimizer (SGD, Adam: same state, same update) moves the members together: the
 * weights stay `k` shared values plus the zeros, and the shared value moves as the centroid's own
 * gradient says. `model` must hold the clustered values (from {@link clusterWeights}).
 */
export function centroidFineTuning(model: Model, clusterings: ReadonlyMap<string, Clustering>): Callback {
  // UnsortedSegmentSum has no wasm kernel: sum members through a one-hot [n, k] matrix instead.
  const members = new Map<string, { onehot: tf.Tensor }>();
  for (const [name, c] of clusterings) {
    const p = model.params.get(name);
    if (!p) throw new ConfigError(`centroidFineTuning: the model has no param "${name}"`, { param: name });
    if (p.size !== c.assignments.length) throw new ConfigError(`centroidFineTuning: param "${name}" has ${p.size} values, its clustering ${c.assignments.length}`, { param: name });
    const k = c.centroids.length;
    const onehot = new Float32Array(p.size * k);
    c.assignments.forEach((a, i) => {
      if (a >= 0) onehot[i * k + a] = 1;
    });
    members.set(name, { onehot: tf.tensor(onehot, [p.size, k]) });
  }
  return {
    onAfterBackward(grads) {
      const out: Record<string, tf.Tensor> = { ...grads };
      for (const [name, m] of members) {
        const g = grads[name];
        if (!g) continue;
        out[name] = tf.tidy(() => {
          const sums = tf.matMul(tf.reshape(g, [1, -1]), m.onehot);
          return tf.reshape(tf.matMul(sums, m.onehot, false, true), g.shape);
        });
        g.dispose();
      }
      return out;
    },
    onTrainEnd() {
      for (const m of members.values()) m.onehot.dispose();
      members.clear();
    },
  };
}
