import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers';
import { loadFolderWithTfjs, saveFolderWithTfjs, tinyLayersCnn } from './tfjs-layers';

interface BudgetDetails {
  ratios: Record<string, number>;
  report: { targets: Array<{ metric: string; measured: number; dense: number; predicted: number; met: boolean }>; summary: string };
}

describe('bonsai compress <model> --target (compress to a budget)', () => {
  const cwd = tempDir();

  beforeAll(async () => {
    await initBackend('wasm');
    await saveFolderWithTfjs(tinyLayersCnn(), join(cwd, 'model'));
  });

  it('meets a MAC budget: the step reports predicted = measured MACs, and the written LayersModel is that small', async () => {
    const before = tf.memory().numTensors;
    const r = await run(['compress', 'model', '--data', 'mnist', '--train-size', '192', '--test-size', '64', '--target', 'macs=0.5x', '--max-drop', '50', '--fine-tune-epochs', '1', '--latency-runs', '1', '--out', 'out', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as { steps: Array<{ type: string; details: BudgetDetails }> };
    const step = report.steps.find((s) => s.type === 'budget')!;
    const macs = step.details.report.targets[0]!;
    expect(macs.metric).toBe('macs');
    expect(macs.measured).toBeLessThanOrEqual(0.5 * macs.dense);
    expect(Math.round(macs.predicted)).toBe(macs.measured);
    expect(macs.met).toBe(true);
    const stock = await loadFolderWithTfjs(join(cwd, 'out'));
    const kept = (stock.getLayer('conv2').getWeights()[0] as tf.Tensor).shape;
    stock.dispose();
    // conv2's MACs are 3*3*in*out*7*7: the written model has the channels the report counted.
    expect(kept[2]! * kept[3]!).toBeLessThan(64);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a malformed --target with a one-line error', async () => {
    const r = await run(['compress', 'model', '--data', 'synthetic', '--train-size', '16', '--test-size', '8', '--target', 'speed=2x', '--out', 'bad'], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/target/);
  });
});
