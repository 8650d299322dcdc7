import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, Model } from '@bonsai/core';

/** Sets param `node/role` to explicit values. */
export function setParam(model: Model, node: string, role: string, values: ArrayLike<number>): void {
  const p = model.param(node, role)!;
  const t = tf.tensor(Array.from(values), p.shape);
  p.assign(t);
  t.dispose();
}

/** 1..n with alternating signs: every value nonzero, distinct magnitudes. */
export function ramp(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i % 2 ? -(i + 1) : i + 1));
}

/**
 * input [8,8,1] -> conv (4 filters, 3x3, same, bias) -> bn -> relu -> flatten -> dense 10.
 * Params: conv 36 + 4, bn 4 x 4, dense 2560 + 10 = 2626 (2618 trainable).
 * MACs: conv 8*8*4*9 = 2304, dense 256*10 = 2560.
 * Every value is set explicitly: kernels all nonzero, conv bias zero, dense bias nonzero,
 * BN gamma/variance 1, beta/mean 0 -> 36 + 0 + 8 + 2560 + 10 = 2614 nonzero.
 */
export function convNet(): Model {
  const b = new GraphBuilder();
  const x = b.input([8, 8, 1], { name: 'input' });
  let h = b.conv2d(x, { filters: 4, kernel: 3, padding: 'same', name: 'conv' });
  h = b.relu(b.batchNorm(h, { name: 'bn' }), { name: 'relu' });
  h = b.flatten(h, { name: 'flatten' });
  const m = Model.create(b.build(b.dense(h, { units: 10, name: 'fc' })), { seed: 3 });
  setParam(m, 'conv', 'kernel', ramp(36).map((v) => v / 36));
  setParam(m, 'conv', 'bias', new Array(4).fill(0));
  setParam(m, 'fc', 'kernel', ramp(2560).map((v) => v / 2560));
  setParam(m, 'fc', 'bias', ramp(10));
  return m;
}

/** input [3] -> dense 3 (identity kernel, no bias): the output equals the input. */
export function identityNet(): Model {
  const b = new GraphBuilder();
  const x = b.input([3], { name: 'input' });
  const m = Model.create(b.build(b.dense(x, { units: 3, useBias: false, name: 'fc' })));
  setParam(m, 'fc', 'kernel', [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  return m;
}
