import { GraphBuilder, Model } from '@bonsai/core';
import { bnMomentum, type ModelOptions } from './mlp';

/**
 * MobileNet-style net: a stem conv then depthwise-separable blocks (depthwise 3x3 - BN - ReLU6 -
 * pointwise 1x1 - BN - ReLU6). Depthwise convs couple their input and output channels.
 */
export function mobileNet(o: ModelOptions & { widths?: readonly number[]; strides?: readonly number[] } = {}): Model {
  const b = new GraphBuilder();
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  let h = b.relu6(b.batchNorm(b.conv2d(x, { filters: 16, kernel: 3, padding: 'same', useBias: false, name: 'stem' }), { momentum: bnMomentum(o), name: 'stem_bn' }));
  const widths = o.widths ?? [32, 64, 64, 128];
  const strides = o.strides ?? [1, 2, 1, 2];
  widths.forEach((w, i) => {
    const n = `block${i + 1}`;
    h = b.relu6(b.batchNorm(b.depthwiseConv2d(h, { kernel: 3, strides: strides[i] ?? 1, padding: 'same', useBias: false, name: `${n}_dw` }), { momentum: bnMomentum(o), name: `${n}_dwbn` }));
    h = b.relu6(b.batchNorm(b.conv2d(h, { filters: w, kernel: 1, useBias: false, name: `${n}_pw` }), { momentum: bnMomentum(o), name: `${n}_pwbn` }));
  });
  h = b.globalAvgPool(h, { name: 'gap' });
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 10, name: 'fc' })), { seed: o.seed ?? 0 });
}
