import { GraphBuilder, Model } from '@bonsai/core';

/** Options shared by the model builders. */
export interface ModelOptions {
  /** Per-sample input shape (default [28, 28, 1]). */
  inputShape?: readonly number[];
  /** Number of classes (default 10). */
  numClasses?: number;
  /** Initialization seed (default 0). */
  seed?: number;
  /**
   * Momentum of every batch-norm layer's running statistics (default 0.9, torch's 0.1 update
   * rate): Keras' 0.99 leaves them unconverged after the few hundred steps of a short MNIST run.
   */
  bnMomentum?: number;
}

/** The batch-norm momentum a builder uses for `o`. */
export const bnMomentum = (o: ModelOptions): number => o.bnMomentum ?? 0.9;

/** LeNet-300-100 (Han et al.): 784 -> 300 -> 100 -> classes, ReLU. The classifier node is `fc3`. */
export function mlp300100(o: ModelOptions & { hidden?: readonly number[] } = {}): Model {
  const b = new GraphBuilder();
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  let h = b.flatten(x, { name: 'flatten' });
  const hidden = o.hidden ?? [300, 100];
  hidden.forEach((units, i) => {
    h = b.relu(b.dense(h, { units, name: `fc${i + 1}` }), { name: `relu${i + 1}` });
  });
  const y = b.dense(h, { units: o.numClasses ?? 10, name: `fc${hidden.length + 1}` });
  return Model.create(b.build(y), { seed: o.seed ?? 0 });
}
