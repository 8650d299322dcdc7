import { GraphBuilder, Model } from '@bonsai/core';
import { bnMomentum, type ModelOptions } from './mlp';

/** LeNet-5: conv6(5x5)-relu-maxpool, conv16(5x5)-relu-maxpool, 120-84-classes. */
export function lenet5(o: ModelOptions = {}): Model {
  const b = new GraphBuilder();
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  let h = b.maxPool(b.relu(b.conv2d(x, { filters: 6, kernel: 5, padding: 'same', name: 'conv1' })), { name: 'pool1' });
  h = b.maxPool(b.relu(b.conv2d(h, { filters: 16, kernel: 5, padding: 'valid', name: 'conv2' })), { name: 'pool2' });
  h = b.flatten(h, { name: 'flatten' });
  h = b.relu(b.dense(h, { units: 120, name: 'fc1' }));
  h = b.relu(b.dense(h, { units: 84, name: 'fc2' }));
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 10, name: 'fc3' })), { seed: o.seed ?? 0 });
}

/**
 * Small CNN with batch norm: [conv-bn-relu] x2 per stage with max pooling, widths `widths`
 * (default 32-64), then flatten -> dense `hidden` -> dropout -> classes. Nodes are named
 * `conv{i}`, `bn{i}`, `fc1`, `fc2` (the classifier).
 */
export function smallCnn(o: ModelOptions & { widths?: readonly number[]; hidden?: number; dropout?: number } = {}): Model {
  const b = new GraphBuilder();
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  let h = x;
  const widths = o.widths ?? [32, 64];
  let i = 0;
  widths.forEach((w, s) => {
    for (let r = 0; r < 2; r++) {
      i++;
      h = b.conv2d(h, { filters: w, kernel: 3, padding: 'same', useBias: false, name: `conv${i}` });
      h = b.relu(b.batchNorm(h, { momentum: bnMomentum(o), name: `bn${i}` }), { name: `relu${i}` });
    }
    h = b.maxPool(h, { name: `pool${s + 1}` });
  });
  h = b.flatten(h, { name: 'flatten' });
  h = b.relu(b.dense(h, { units: o.hidden ?? 128, name: 'fc1' }), { name: 'relu_fc1' });
  if ((o.dropout ?? 0.3) > 0) h = b.dropout(h, { rate: o.dropout ?? 0.3, name: 'dropout' });
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 10, name: 'fc2' })), { seed: o.seed ?? 0 });
}

/** VGG-style stack: stages of conv-bn-relu blocks with pooling, global average pool, classifier. */
export function vggNet(o: ModelOptions & { stages?: ReadonlyArray<readonly number[]> } = {}): Model {
  const b = new GraphBuilder();
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  let h = x;
  let i = 0;
  (o.stages ?? [[16, 16], [32, 32], [64, 64]]).forEach((stage, s, all) => {
    for (const w of stage) {
      i++;
      h = b.relu(b.batchNorm(b.conv2d(h, { filters: w, kernel: 3, padding: 'same', useBias: false, name: `conv${i}` }), { momentum: bnMomentum(o), name: `bn${i}` }));
    }
    if (s < all.length - 1) h = b.maxPool(h, { name: `pool${s + 1}` });
  });
  h = b.globalAvgPool(h, { name: 'gap' });
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 10, name: 'fc' })), { seed: o.seed ?? 0 });
}
