import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type Model } from '@bonsai/core';
import { smallCnn } from '@bonsai/models';
import { architectureHash, latencyPredictor, measureLatencyTable, Structure, TimedModel } from '../src/index';

let model: Model;
let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  model = smallCnn({ widths: [8, 16], hidden: 16, dropout: 0, inputShape: [12, 12, 1] });
  dir = mkdtempSync(path.join(tmpdir(), 'budget-latency-'));
});

afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('latency table', () => {
  it('times every node at each candidate width; the predictor reproduces measured points; cached by hash + machine', async () => {
    const s = new Structure(model);
    const before = tf.memory().numTensors;
    const t = await measureLatencyTable(model, s, { batch: 2, ratios: [0.5], runs: 2, warmup: 1, cacheDir: dir });
    expect(tf.memory().numTensors).toBe(before);
    expect(t.cached).toBe(false);
    expect(t.points).toHaveLength(2);
    const [dense, half] = t.points;
    // Every computing node is timed; work fractions are the kept kernel sizes / widths of the pruned clone.
    expect(Object.keys(dense!.nodeMs).sort()).toEqual(s.nodes.map((n) => n.node).sort());
    expect(dense!.work.conv2).toBe(1);
    expect(half!.work.conv2).toBe(0.25); // 8 -> 4 in, 8 -> 4 out
    expect(half!.work.conv1).toBe(0.5); // the image channel stays
    expect(half!.work.bn1).toBe(0.5);
    // At a measured point the predictor returns that point's node times plus the mean overhead.
    const predict = latencyPredictor(t);
    for (const p of t.points) {
      const sum = Object.values(p.nodeMs).reduce((a, b) => a + b, 0);
      expect(predict(new Map(Object.entries(p.work)))).toBeCloseTo(sum + t.overheadMs, 9);
    }
    // Below the smallest measured work a node keeps that point's time (no extrapolation to zero).
    const tiny = new Map(Object.entries(half!.work).map(([k, w]) => [k, w / 10]));
    const floor = Object.entries(half!.nodeMs).reduce((a, [k, ms]) => a + (half!.work[k]! < 1 ? ms : (dense!.nodeMs[k]! + ms) / 2), 0);
    expect(predict(tiny)).toBeCloseTo(floor + t.overheadMs, 9);
    const again = await measureLatencyTable(model, s, { batch: 2, ratios: [0.5], runs: 2, warmup: 1, cacheDir: dir });
    expect(again.cached).toBe(true);
    expect(again.points).toEqual(t.points);
    const other = await measureLatencyTable(model, s, { batch: 1, ratios: [0.5], runs: 2, warmup: 1, cacheDir: dir });
    expect(other.key).not.toBe(t.key);
    expect(readdirSync(dir)).toHaveLength(2);
    const clone = model.clone();
    expect(architectureHash(clone)).toBe(architectureHash(model));
    clone.dispose();
  });

  it('TimedModel shares the params and returns the same output', () => {
    const x = tf.randomUniform([1, 12, 12, 1], 0, 1, 'float32', 3);
    const timed = new TimedModel(model);
    const a = model.forward(x);
    const b = timed.forward(x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect([...timed.timePass(x).nodes.keys()]).toEqual(computingNodes(model));
    tf.dispose([x, a, b]);
  });
});

function computingNodes(m: Model): string[] {
  return m.graph.nodes.filter((n) => !m.graph.inputs.includes(n.id)).map((n) => n.id);
}
