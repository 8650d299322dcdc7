import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Model } from '@bonsai/core';
import { concatNet, lenet5, mlp300100, mobileNet, resnet20, smallCnn, vggNet, vit } from '@bonsai/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { DependencyGraph, modelStats } from '../src/index';
import { everyOther, maxAbsDiff, zeroGroup } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Every model of @bonsai/models at a small width, with the roots its prunable groups must have. */
const zoo: Record<string, { make: () => Model; roots: string[]; ignored?: string[] }> = {
  mlp300100: { make: () => mlp300100({ hidden: [30, 20] }), roots: ['fc1', 'fc2'] },
  lenet5: { make: () => lenet5(), roots: ['conv1', 'conv2', 'fc1', 'fc2'] },
  smallCnn: { make: () => smallCnn({ widths: [4, 8], hidden: 16 }), roots: ['conv1', 'conv2', 'conv3', 'conv4', 'fc1'] },
  vggNet: { make: () => vggNet({ stages: [[4, 4], [8, 8]] }), roots: ['conv1', 'conv2', 'conv3', 'conv4'] },
  resnet20: {
    make: () => resnet20({ base: 4 }),
    // One group per residual stage (rooted at the stem / first shortcut) plus one per block's inner conv.
    roots: ['stem_conv', 's1b1a_conv', 's1b2a_conv', 's1b3a_conv', 's2b1a_conv', 's2b1b_conv', 's2b2a_conv', 's2b3a_conv', 's3b1a_conv', 's3b1b_conv', 's3b2a_conv', 's3b3a_conv'],
  },
  mobileNet: { make: () => mobileNet({ widths: [8, 16, 16, 24] }), roots: ['stem', 'block1_pw', 'block2_pw', 'block3_pw', 'block4_pw'] },
  concatNet: { make: () => concatNet(), roots: ['stem', 'inc_1x1', 'inc_3x3', 'inc_group', 'dense_conv', 'path0', 'path1'] },
  // The residual stream (rooted at patch_embed) is prunable too, but through layer norms, whose
  // statistics zeroed channels change: this output-preservation test covers the MLP hidden layers.
  vit: { make: () => vit({ dim: 8, heads: 2 }), roots: ['blk1_fc1', 'blk2_fc1'], ignored: ['patch_embed', 'head'] },
};

describe('pruning zeroed channels leaves every zoo model\'s outputs unchanged', () => {
  for (const [name, { make, roots, ignored }] of Object.entries(zoo)) {
    it(name, () => {
      const model = make();
      const before = tf.memory().numTensors;
      const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 7);
      const statsBefore = modelStats(model);
      const dg = DependencyGraph.build(model);
      const groups = [...dg.groups(ignored ? { ignored } : {})];
      expect(groups.map((g) => g.root)).toEqual(roots);
      const picks = groups.map(everyOther);
      for (const p of picks) {
        expect(p.size).toBeGreaterThan(0);
        expect(dg.check(p)).toBe(true);
        zeroGroup(model, p);
      }
      const y0 = model.forward(x);
      const removedAtRoot = picks.map((p) => p.idxs.length);
      dg.prune(picks);
      const y1 = model.forward(x);
      expect(y1.shape).toEqual(y0.shape);
      expect(maxAbsDiff(y0, y1)).toBeLessThan(1e-5);
      const statsAfter = modelStats(model);
      expect(statsAfter.params).toBeLessThan(statsBefore.params);
      expect(statsAfter.macs).toBeLessThan(statsBefore.macs);
      // Every root lost exactly the picked units' channels.
      picks.forEach((p, i) => expect(dg.width(p.root)).toBe(statsBefore.channels[p.root]! - removedAtRoot[i]!));
      // Still trains-mode runnable and serializable-shaped.
      const yt = model.forward(x, { training: true });
      expect(yt.shape).toEqual(y0.shape);
      [x, y0, y1, yt].forEach((t) => t.dispose());
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }
});
