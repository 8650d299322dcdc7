import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, save } from '@bonsai/core';
import { mlp300100 } from '@bonsai/models';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InspectResult } from '../src/index';
import { run, tempDir } from './helpers';
import { saveFolderWithTfjs } from './tfjs-layers';

function inspectDoc(stdout: string): InspectResult {
  return (JSON.parse(stdout) as { result: InspectResult }).result;
}

describe('bonsai inspect', () => {
  const cwd = tempDir();

  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('a tfjs LayersModel (folder or model.json): format, shapes, ops, params and MACs by hand, file size from disk', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'c' }));
    m.add(tfl.layers.flatten({ name: 'f' }));
    m.add(tfl.layers.dense({ units: 3, name: 'd' }));
    await saveFolderWithTfjs(m, join(cwd, 'layers'));
    const before = tf.memory().numTensors;
    const r = await run(['inspect', 'layers', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const doc = inspectDoc(r.stdout);
    expect(doc.format).toBe('layers-model');
    expect(doc.inputs).toHaveLength(1);
    expect(doc.inputs[0]!.shape).toEqual([-1, 8, 8, 1]);
    expect(doc.outputs[0]!.shape).toEqual([-1, 3]);
    // conv 3*3*1*4 + 4 biases, dense 6*6*4*3 + 3 biases: tfjs-layers counts the same
    expect(doc.params).toBe(m.countParams());
    expect(doc.params).toBe(40 + 435);
    // conv: 6*6 outputs x 4 filters x 9 taps; dense: 144 inputs x 3 units
    expect(doc.macs).toBe(6 * 6 * 4 * 9 + 144 * 3);
    expect(doc.ops.conv2d).toBe(1);
    expect(doc.ops.dense).toBe(1);
    const bytes = statSync(join(cwd, 'layers', 'model.json')).size + statSync(join(cwd, 'layers', 'weights.bin')).size;
    expect(doc.bytes).toBe(bytes);
    expect(tf.memory().numTensors).toBe(before);
    const text = await run(['inspect', 'layers/model.json'], { cwd });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('format:  tfjs LayersModel');
    expect(text.stdout).toContain('inputs:  ');
    expect(text.stdout).toContain('[?, 8, 8, 1]');
    expect(text.stdout).toMatch(/MACs: +1\.73k per sample \(1728\)/);
    m.dispose();
  });

  it('a Bonsai folder', async () => {
    const model = mlp300100({ seed: 3 });
    await save(model, join(cwd, 'bonsai'));
    const r = await run(['inspect', 'bonsai', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const doc = inspectDoc(r.stdout);
    expect(doc.format).toBe('bonsai');
    // 784-300-100-10 with biases
    expect(doc.params).toBe(784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
    expect(doc.macs).toBe(784 * 300 + 300 * 100 + 100 * 10);
    expect(doc.inputs[0]!.shape).toEqual([-1, 28, 28, 1]);
    model.dispose();
  });

  it('a tfjs GraphModel (a real converter-made model from @vladmandic/human, vendored by @bonsai/interop)', async () => {
    const file = join(__dirname, '..', '..', '..', 'packages', 'interop', 'test', 'fixtures', 'graph-model', 'emotion', 'model.json');
    const r = await run(['inspect', file, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const doc = inspectDoc(r.stdout);
    expect(doc.format).toBe('graph-model');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: { node: Array<{ op: string; attr?: { shape?: { shape: { dim: Array<{ size: string }> } } } }> }; weightsManifest: Array<{ weights: Array<{ shape: number[] }> }> };
    const placeholder = json.modelTopology.node.find((n) => n.op === 'Placeholder')!;
    expect(doc.inputs[0]!.shape).toEqual(placeholder.attr!.shape!.shape.dim.map((d) => Number(d.size)));
    expect(doc.outputs).toHaveLength(1);
    expect(doc.macs).toBeGreaterThan(0);
    expect(doc.notes).toEqual([]);
    const bytes = statSync(file).size + statSync(join(file, '..', 'emotion.bin')).size;
    expect(doc.bytes).toBe(bytes);
  });

  it('fails with one line and exit 1 on a missing path or a JSON file that is no model', async () => {
    const missing = await run(['inspect', 'nope'], { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('bonsai: nope: no such model file or folder (ENOENT)\n');
    writeFileSync(join(cwd, 'x.json'), '{"hello": 1}');
    const bad = await run(['inspect', 'x.json'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bonsai: .*x\.json: not a model I know/);
    expect((await run(['inspect'], { cwd })).code).toBe(2);
  });
});
