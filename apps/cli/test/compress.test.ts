import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shuffledIndices } from '@bonsai/core';
import { loadMnist } from '@bonsai/datasets';
import { loadQuantized } from '@bonsai/quantize';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BufferSink, main, type CliIo, type DataLoader, loadData } from '../src/index';
import { run, tempDir } from './helpers';
import { npyBytes, npzBytes } from './npy-writer';
import { loadFolderWithTfjs, loadGraphFolderWithTfjs, saveFolderWithTfjs, tfjsPredict, tinyLayersCnn } from './tfjs-layers';

interface Report {
  source: { format: string };
  data: { labeled: boolean; test: number };
  comparison: { json: { rows: Array<{ name: string; accuracy?: number; params: number }> } };
  agreement?: { rows: Array<{ name: string; top1: number; top5: number; meanKl: number; maxAbsDiff: number; samples: number }> };
  output: { format: string; note?: string };
  steps?: Array<{ type: string; details?: { integerKernelSteps?: number } }>;
}

/** Top-1 class per row of a [n, c] tensor. */
function argmax(t: tf.Tensor): Int32Array {
  return tf.tidy(() => tf.argMax(t, 1).dataSync() as Int32Array);
}

describe('bonsai compress <model> --data (your model, your data)', () => {
  const cwd = tempDir();

  beforeAll(async () => {
    await initBackend('wasm');
    await saveFolderWithTfjs(tinyLayersCnn(), join(cwd, 'model'));
  });

  it('with labels (MNIST): prunes, fine-tunes with KD, writes a LayersModel stock tfjs loads, reports accuracy that stock tfjs reproduces', async () => {
    const before = tf.memory().numTensors;
    const r = await run(['compress', 'model', '--data', 'mnist', '--train-size', '256', '--test-size', '100', '--prune', '0.5', '--fine-tune-epochs', '1', '--latency-runs', '2', '--out', 'out-labeled', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const out = join(cwd, 'out-labeled');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.source.format).toBe('layers-model');
    expect(report.data.labeled).toBe(true);
    expect(report.agreement).toBeUndefined();
    const rows = report.comparison.json.rows;
    expect(rows[0]!.name).toBe('input model');
    expect(rows.at(-1)!.name).toBe('pruned 50% + KD fine-tune');
    expect(rows[0]!.params / rows.at(-1)!.params).toBeGreaterThan(1.8);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('labeled: quality is accuracy');
    expect(md).toContain('| accuracy |');
    expect(md).not.toMatch(/agreement/i);
    expect(r.stderr).toContain('(layers-model)');
    // Stock tfjs-layers loads the written folder; its accuracy on the same 100 test digits is the report's.
    const stock = await loadFolderWithTfjs(out);
    expect((stock.getLayer('conv1').getWeights()[0] as tf.Tensor).shape).toEqual([3, 3, 1, 4]);
    const test = loadMnist({ seed: 42, testSize: 100 }).test;
    const x = tf.tensor4d(test.images, [100, 28, 28, 1]);
    const y = tfjsPredict(stock, x);
    const pred = argmax(y);
    const acc = pred.reduce((a, p, i) => a + (p === test.labels[i] ? 1 : 0), 0) / 100;
    expect(rows.at(-1)!.accuracy).toBeCloseTo(acc, 6);
    tf.dispose([x, y]);
    stock.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('without labels (.npy): distils from the input model, reports agreement (never accuracy) that stock tfjs reproduces, writes uint8 weights', async () => {
    const n = 120;
    const images = loadMnist({ seed: 1, trainSize: n }).train.images;
    const pixels = Uint8Array.from(images, (v: number) => Math.round(v * 255));
    writeFileSync(join(cwd, 'unlabeled.npy'), npyBytes(pixels, [n, 28, 28]));
    const r = await run(['compress', 'model/model.json', '--data', 'unlabeled.npy', '--prune', '0.25', '--fine-tune-epochs', '1', '--quantize', 'uint8', '--latency-runs', '2', '--out', 'out-free'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no labels');
    expect(r.stdout).toContain('top-1 agreement');
    const out = join(cwd, 'out-free');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.data).toMatchObject({ labeled: false, test: 24 });
    for (const row of report.comparison.json.rows) expect(row.accuracy).toBeUndefined();
    const final = report.agreement!.rows.at(-1)!;
    expect(report.agreement!.rows[0]).toMatchObject({ name: 'input model', top1: 1, top5: 1, maxAbsDiff: 0, samples: 24 });
    expect(final.name).toBe('pruned 25% + KD fine-tune');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('no labels: quality is agreement with the input model, not accuracy');
    expect(md).not.toContain('| accuracy |');
    // The written file holds uint8 kernels that stock tfjs dequantizes.
    const manifest = (JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { weightsManifest: Array<{ weights: Array<{ quantization?: { dtype: string } }> }> }).weightsManifest;
    expect(manifest[0]!.weights.some((w) => w.quantization?.dtype === 'uint8')).toBe(true);
    // Independent check: the held-out samples are the first 20% of core's seeded permutation (seed 42);
    // stock tfjs runs the original and the written model on them.
    const order = shuffledIndices(n, 42).subarray(0, 24);
    const held = new Float32Array(24 * 784);
    order.forEach((k, i) => held.set(Float32Array.from(pixels.subarray(k * 784, (k + 1) * 784), (v) => v / 255), i * 784));
    const x = tf.tensor4d(held, [24, 28, 28, 1]);
    const original = await loadFolderWithTfjs(join(cwd, 'model'));
    const written = await loadFolderWithTfjs(out);
    const [a, b] = [tfjsPredict(original, x), tfjsPredict(written, x)];
    const [pa, pb] = [argmax(a), argmax(b)];
    const top1 = pa.reduce((s, p, i) => s + (p === pb[i] ? 1 : 0), 0) / 24;
    // uint8 file vs. the float model the report measured: at most one flipped sample either way
    expect(Math.abs(top1 - final.top1)).toBeLessThanOrEqual(1 / 24 + 1e-9);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    expect(diff).toBeGreaterThan(0);
    expect(Math.abs(diff - final.maxAbsDiff)).toBeLessThan(0.05 * Math.max(1, final.maxAbsDiff));
    tf.dispose([x, a, b]);
    original.dispose();
    written.dispose();
  });

  it('a tfjs GraphModel in gives a GraphModel out that stock tfjs-converter runs, with agreement it reproduces', async () => {
    const dir = join(__dirname, '..', '..', '..', 'packages', 'interop', 'test', 'fixtures', 'graph-model', 'emotion');
    const n = 40;
    const images = loadMnist({ seed: 3, trainSize: n }).train.images;
    writeFileSync(join(cwd, 'faces.npy'), npyBytes(images, [n, 28, 28, 1]));
    const r = await run(['compress', dir, '--data', 'faces.npy', '--prune', '0.25', '--fine-tune-epochs', '0', '--latency-runs', '1', '--out', 'out-graph'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const out = join(cwd, 'out-graph');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.source.format).toBe('graph-model');
    expect(report.output.format).toContain('tfjs GraphModel');
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).format).toBe('graph-model');
    const final = report.agreement!.rows.at(-1)!;
    // The 28x28 digits were resized to the model's 64x64x1 input; the held-out 8 are the first 20% of shuffledIndices(40, 42).
    const order = shuffledIndices(n, 42).subarray(0, 8);
    const held = new Float32Array(8 * 784);
    order.forEach((k, i) => held.set(images.subarray(k * 784, (k + 1) * 784), i * 784));
    const x = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(held, [8, 28, 28, 1]), [64, 64], false, true));
    const original = await loadGraphFolderWithTfjs(dir);
    const written = await loadGraphFolderWithTfjs(out);
    const a = original.predict(x) as tf.Tensor;
    const b = written.predict(x) as tf.Tensor;
    const [pa, pb] = [argmax(a), argmax(b)];
    expect(pa.reduce((s, p, i) => s + (p === pb[i] ? 1 : 0), 0) / 8).toBeCloseTo(final.top1, 6);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    expect(diff).toBeCloseTo(final.maxAbsDiff, 4);
    tf.dispose([x, a, b]);
    original.dispose();
    written.dispose();
  });

  it('--quantize int8 writes Bonsai\'s own int8 format and says so', async () => {
    const n = 64;
    const images = loadMnist({ seed: 2, trainSize: n }).train.images;
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    writeFileSync(join(cwd, 'labeled.npz'), npzBytes({ x: npyBytes(images, [n, 28, 28, 1]), y: npyBytes(labels, [n]) }));
    const r = await run(['compress', 'model', '--data', 'labeled.npz', '--preprocess', 'none', '--quantize', 'int8', '--calibration-samples', '32', '--latency-runs', '2', '--out', 'out-int8'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Bonsai's int8 format");
    expect(r.stderr).toContain('not stock tfjs');
    const out = join(cwd, 'out-int8');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.output.format).toContain("Bonsai's int8 format");
    expect(report.data.labeled).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('loadQuantized');
    // The int8 model is evaluated on the integer WASM kernels (the conv, dense and pooling steps).
    expect(report.steps?.find((s) => s.type === 'quantize')?.details?.integerKernelSteps).toBeGreaterThan(2);
    const q = await loadQuantized(out);
    expect(q.quantizedWeights.size).toBeGreaterThan(0);
    q.dispose();
  });
});

describe('bonsai compress: checks before work, exit codes', () => {
  const cwd = tempDir();

  beforeAll(async () => {
    await initBackend('wasm');
    await saveFolderWithTfjs(tinyLayersCnn(), join(cwd, 'model'));
    writeFileSync(join(cwd, 'a-file'), 'x');
  });

  function io(): CliIo & { stdout: BufferSink; stderr: BufferSink } {
    return { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd };
  }

  it('finds an unwritable --out after reading the model and before any data is read', async () => {
    const events: string[] = [];
    const spy: DataLoader = async (d, c) => {
      events.push('data');
      return loadData(d, c);
    };
    const s = io();
    const code = await main(['compress', 'model', '--data', 'mnist', '--prune', '0.5', '--out', 'a-file/out', '--json', '-q'], s, { recipe: { loadData: spy } });
    expect(code).toBe(1);
    expect(events).toEqual([]);
    const doc = JSON.parse(s.stdout.text()) as { error: { name: string; reason: string; path: string } };
    expect(doc.error).toMatchObject({ name: 'IoError', reason: 'ENOTDIR', path: 'a-file/out' });
    expect(s.stderr.text()).toBe(`bonsai: a-file/out: cannot create the output folder: "${join(cwd, 'a-file')}" is a file (ENOTDIR)\n`);
    // a missing model is found first, before --out and before data
    const m = io();
    expect(await main(['compress', 'nowhere', '--data', 'mnist', '--out', 'a-file/out', '-q'], m, { recipe: { loadData: spy } })).toBe(1);
    expect(m.stderr.text()).toBe('bonsai: nowhere: no such model file or folder (ENOENT)\n');
    expect(events).toEqual([]);
    // a good --out: data is read once
    const ok = io();
    expect(await main(['eval', '--model', 'model', '--data', 'synthetic', '--train-size', '8', '--test-size', '8', '--latency-runs', '1', '-q'], ok, { recipe: { loadData: spy } })).toBe(0);
    expect(events).toEqual(['data']);
  });

  it('usage and range errors exit 2 with one line; --verbose adds the stack', async () => {
    const cases: Array<[string[], string]> = [
      [['compress', 'model', '--data', 'mnist'], 'compress needs --out <dir>'],
      [['prune', '--model', 'model'], 'prune needs --out <dir>'],
      [['eval', '--model', 'model', '--test-size', '5000'], 'option "--test-size" (data.testSize) must be <= 2000'],
      [['compress', 'model', '--prune', '1.5', '--out', 'o'], 'option "--prune" must be < 1, got 1.5'],
      [['compress', 'model', '--input-size', '22x', '--out', 'o'], 'option "--input-size" expects <height>x<width>'],
      [['compress', 'model', '--quantize', 'int4', '--out', 'o'], 'option "--quantize" must be one of'],
    ];
    for (const [args, text] of cases) {
      const argv = [...args, '-q'];
      const r = await run(argv, { cwd });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toContain(text);
      expect(r.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr.startsWith('bonsai: ')).toBe(true);
    }
    const v = await run(['eval', '--model', 'model', '--test-size', '5000', '--verbose', '-q'], { cwd });
    expect(v.code).toBe(2);
    expect(v.stderr.split('\n').length).toBeGreaterThan(3);
    expect(v.stderr).toMatch(/\n\s+at /);
  });

  it('--data mnist|synthetic on a model whose output is not 10 classes: one line naming its output shape and --data <folder>, before any data is read', async () => {
    await saveFolderWithTfjs(tinyLayersCnn(1, 3), join(cwd, 'three'));
    const events: string[] = [];
    const spy: DataLoader = async (d, c) => {
      events.push('data');
      return loadData(d, c);
    };
    for (const data of ['mnist', 'synthetic']) {
      const s = io();
      expect(await main(['compress', 'three', '--data', data, '--prune', '0.5', '--out', 'o3', '-q'], s, { recipe: { loadData: spy } })).toBe(2);
      expect(s.stderr.text()).toMatch(new RegExp(`^bonsai: --data ${data} has 10 classes, but the model's first output is \\[\\?, 3\\], not \\[\\?, 10\\]; pass your own data instead: --data <folder> .*\\n$`));
      expect(s.stderr.text().trimEnd().split('\n')).toHaveLength(1);
    }
    expect(events).toEqual([]);
    expect(existsSync(join(cwd, 'o3'))).toBe(false);
  });

  it('refuses training without labels and names the step', async () => {
    writeFileSync(join(cwd, 'free.npy'), npyBytes(new Float32Array(16 * 784), [16, 28, 28, 1]));
    const r = await run(['train', '--model', 'model', '--data', 'free.npy', '--epochs', '1', '--out', 'o'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('steps[0].type: "train" needs labels');
    expect(existsSync(join(cwd, 'o'))).toBe(false);
  });
});
