import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, initBackend, type Model } from '@bonsai/core';
import { countMacs, countParams } from '@bonsai/eval';
import { resnet20, smallCnn } from '@bonsai/models';
import { pruneToRatios, Structure, uniformRatios } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Prunes a clone to `ratios` and returns eval's counts of the physically smaller model (the oracle). */
function counted(model: Model, ratios: Record<string, number>): { params: number; macs: number } {
  const c = model.clone();
  try {
    pruneToRatios(c, ratios);
    return { params: countParams(c), macs: countMacs(c).dense };
  } finally {
    c.dispose();
  }
}

describe('Structure', () => {
  it('predicts params and MACs of mixed per-group ratios exactly (small CNN)', () => {
    const m = smallCnn({ widths: [8, 16], hidden: 32, dropout: 0 });
    const s = new Structure(m);
    expect(s.roots).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'fc1']);
    const dense = s.cost({});
    expect(dense.params).toBe(countParams(m));
    expect(dense.macs).toBe(countMacs(m).dense);
    for (const ratios of [{ conv1: 0.5 }, { conv2: 0.25, conv4: 0.75, fc1: 0.5 }, uniformRatios(s, 0.4), { conv1: 0.3, conv3: 0.6 }]) {
      const before = tf.memory().numTensors;
      const p = s.cost(ratios);
      expect(tf.memory().numTensors).toBe(before);
      expect({ params: Math.round(p.params), macs: Math.round(p.macs) }).toEqual(counted(m, ratios));
    }
    m.dispose();
  });

  it('predicts a residual network (coupled stages) exactly', () => {
    const m = resnet20({ base: 4, inputShape: [8, 8, 1] });
    const s = new Structure(m);
    const stem = s.groups.find((g) => g.root.startsWith('stem'))!;
    // The stem's group is the first stage's residual stream: it reaches every block of stage 1.
    expect(stem.slices.map((x) => x.node)).toContain('s1b3_add');
    const ratios = Object.fromEntries(s.roots.map((r, i) => [r, (i % 3) * 0.25]));
    const p = s.cost(ratios);
    expect({ params: Math.round(p.params), macs: Math.round(p.macs) }).toEqual(counted(m, ratios));
    expect(Structure.removedUnits(4, 0.9)).toBe(3);
    expect(Structure.removedUnits(4, 1)).toBe(3);
    expect(() => pruneToRatios(m, { [stem.root]: 1 })).toThrow(ConfigError);
    m.dispose();
  });
});
