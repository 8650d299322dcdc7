import { GraphBuilder, Model, type NodeId } from '@bonsai/core';
import { bnMomentum, type ModelOptions } from './mlp';

/**
 * Inception/DenseNet-style net: each block runs parallel branches (1x1, 3x3, and a split-then-
 * grouped path) and concatenates them; a dense-connectivity block concatenates its input with
 * its output. Exercises concat/split index mapping and grouped convs in the dependency graph.
 */
export function concatNet(o: ModelOptions = {}): Model {
  const b = new GraphBuilder();
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  let h: NodeId = b.relu(b.batchNorm(b.conv2d(x, { filters: 16, kernel: 3, padding: 'same', name: 'stem' }), { momentum: bnMomentum(o), name: 'stem_bn' }));
  h = b.maxPool(h, { name: 'pool1' });
  // Inception block: three branches concatenated.
  const b1 = b.relu(b.conv2d(h, { filters: 8, kernel: 1, name: 'inc_1x1' }));
  const b2 = b.relu(b.conv2d(h, { filters: 12, kernel: 3, padding: 'same', name: 'inc_3x3' }));
  const b3 = b.relu(b.conv2d(h, { filters: 8, kernel: 3, padding: 'same', groups: 2, name: 'inc_group' }));
  h = b.concat([b1, b2, b3], { name: 'inc_concat' });
  h = b.batchNorm(h, { momentum: bnMomentum(o), name: 'inc_bn' });
  // Dense block: concat(input, conv(input)).
  const d = b.relu(b.conv2d(h, { filters: 12, kernel: 3, padding: 'same', name: 'dense_conv' }));
  h = b.concat([h, d], { name: 'dense_concat' });
  // Split into two halves processed separately, then concatenated.
  const [s0, s1] = b.split(h, { sizes: [20, 20], name: 'split' }) as [NodeId, NodeId];
  const p0 = b.relu(b.conv2d(s0, { filters: 16, kernel: 3, padding: 'same', name: 'path0' }));
  const p1 = b.relu(b.conv2d(s1, { filters: 16, kernel: 3, padding: 'same', name: 'path1' }));
  h = b.maxPool(b.concat([p0, p1], { name: 'path_concat' }), { name: 'pool2' });
  h = b.flatten(h, { name: 'flatten' });
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 10, name: 'fc' })), { seed: o.seed ?? 0 });
}
