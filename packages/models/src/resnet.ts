import { ConfigError, GraphBuilder, Model, type NodeId } from '@bonsai/core';
import { bnMomentum, type ModelOptions } from './mlp';

function convBn(b: GraphBuilder, x: NodeId, filters: number, kernel: number, strides: number, name: string, momentum: number): NodeId {
  const c = b.conv2d(x, { filters, kernel, strides, padding: 'same', useBias: false, name: `${name}_conv` });
  return b.batchNorm(c, { momentum, name: `${name}_bn` });
}

/**
 * CIFAR-style ResNet (He et al.) with basic blocks: depth = 6n + 2 (20 -> n = 3, 56 -> n = 9).
 * Widths `base`, 2*base, 4*base; downsampling blocks use a 1x1 conv shortcut. Residual adds
 * couple the channels of every block in a stage (what the dependency graph must respect).
 */
export function resnet(o: ModelOptions & { depth?: number; base?: number } = {}): Model {
  const depth = o.depth ?? 20;
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) throw new ConfigError(`resnet: depth must be 6n + 2 with n >= 1 (20, 32, 56, ...), got ${depth}`, { option: 'depth' });
  const n = (depth - 2) / 6;
  const base = o.base ?? 16;
  const b = new GraphBuilder();
  const m = bnMomentum(o);
  const x = b.input(o.inputShape ?? [28, 28, 1], { name: 'input' });
  let h = b.relu(convBn(b, x, base, 3, 1, 'stem', m));
  [base, base * 2, base * 4].forEach((w, s) => {
    for (let i = 0; i < n; i++) {
      const name = `s${s + 1}b${i + 1}`;
      const stride = s > 0 && i === 0 ? 2 : 1;
      const r = b.relu(convBn(b, h, w, 3, stride, `${name}a`, m));
      const y = convBn(b, r, w, 3, 1, `${name}b`, m);
      const short = stride !== 1 || s > 0 && i === 0 ? convBn(b, h, w, 1, stride, `${name}sc`, m) : h;
      h = b.relu(b.add([y, short], { name: `${name}_add` }), { name: `${name}_out` });
    }
  });
  h = b.globalAvgPool(h, { name: 'gap' });
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 10, name: 'fc' })), { seed: o.seed ?? 0 });
}

/** ResNet-20-style (CIFAR ResNet with n = 3). */
export const resnet20 = (o: ModelOptions & { base?: number } = {}): Model => resnet({ ...o, depth: 20 });
/** ResNet-56-style (CIFAR ResNet with n = 9). */
export const resnet56 = (o: ModelOptions & { base?: number } = {}): Model => resnet({ ...o, depth: 56 });

/**
 * ResNet-50-shaped graph (bottleneck blocks 3-4-6-3, widths 64..2048, 224x224x3 input, 1000
 * classes), for dependency-graph benchmarks. Creating it allocates ~25.6M parameters.
 */
export function resnet50(o: ModelOptions = {}): Model {
  const b = new GraphBuilder();
  const m = bnMomentum(o);
  const x = b.input(o.inputShape ?? [224, 224, 3], { name: 'input' });
  let h = b.relu(convBn(b, x, 64, 7, 2, 'stem', m));
  h = b.maxPool(h, { pool: 3, strides: 2, padding: 'same', name: 'stem_pool' });
  [3, 4, 6, 3].forEach((blocks, s) => {
    const w = 64 * 2 ** s;
    for (let i = 0; i < blocks; i++) {
      const name = `l${s + 1}b${i + 1}`;
      const stride = s > 0 && i === 0 ? 2 : 1;
      let r = b.relu(convBn(b, h, w, 1, 1, `${name}a`, m));
      r = b.relu(convBn(b, r, w, 3, stride, `${name}b`, m));
      const y = convBn(b, r, w * 4, 1, 1, `${name}c`, m);
      const short = i === 0 ? convBn(b, h, w * 4, 1, stride, `${name}sc`, m) : h;
      h = b.relu(b.add([y, short], { name: `${name}_add` }));
    }
  });
  h = b.globalAvgPool(h, { name: 'gap' });
  return Model.create(b.build(b.dense(h, { units: o.numClasses ?? 1000, name: 'fc' })), { seed: o.seed ?? 0 });
}
