import * as tf from '@tensorflow/tfjs-core';
import { initBackend, load } from '@bonsai/core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe, RecipeError } from '../src/index';
import { run, tempDir } from './helpers';
import { countZeros, loadFolderWithTfjs, maxAbsDiff, tfjsPredict } from './tfjs-layers';

interface ExportDoc { ok: boolean; command: string; result: { output: { dir: string; weights: string; files: string[]; weightBytes: number; bytes: number }; verify: { samples: number; maxAbsDiff: number } } }
interface ErrorDoc { ok: false; exitCode: number; error: { name: string; code: string; message: string; path?: string } }

const DATA = { dataset: 'synthetic', trainSize: 128, testSize: 32 };
const DATA_FLAGS = ['--data', 'synthetic', '--train-size', '64', '--test-size', '16'];

/** Kernels (rank >= 2) of a Bonsai model, masks applied. */
function bonsaiKernelZeros(dir: string): Promise<{ zeros: number; total: number }> {
  return load(dir).then((m) => {
    const kernels = [...m.params.values()].filter((p) => p.shape.length >= 2);
    const ts = kernels.map((p) => p.effective());
    const r = { zeros: countZeros(ts), total: kernels.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0) };
    m.dispose();
    return r;
  });
}

describe('export to a stock tfjs LayersModel', () => {
  const cwd = tempDir();

  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('trains + prunes (structured and unstructured) via a recipe with an export step, then `bonsai export` float and uint8; stock tfjs-layers reproduces the predictions', async () => {
    const before = tf.memory().numTensors;
    writeFileSync(join(cwd, 'r.json'), JSON.stringify({
      model: { zoo: 'smallCnn', options: { widths: [4, 8], hidden: 16, dropout: 0.1 } },
      data: DATA,
      steps: [
        { type: 'train', epochs: 1 },
        { type: 'prune', method: 'structured', ratio: 0.5, ignored: ['fc2'] },
        { type: 'prune', method: 'unstructured', ratio: 0.5 },
        { type: 'export', format: 'layers', quantize: 'uint8', output: 'recipe-tfjs' },
        { type: 'eval', latencyRuns: 1 },
      ],
      output: 'pruned',
    }));
    const c = await run(['compress', '-r', 'r.json', '--json', '-q'], { cwd });
    expect(c.code, c.stderr).toBe(0);
    const steps = (JSON.parse(c.stdout) as { result: { steps: Array<{ type: string; details: Record<string, unknown> }> } }).result.steps;
    expect(steps.map((s) => s.type)).toEqual(['train', 'prune', 'prune', 'export', 'eval']);
    expect(steps[3]!.details).toMatchObject({ format: 'tfjs layers-model', weights: 'uint8', files: ['model.json', 'weights.bin'] });
    expect(existsSync(join(cwd, 'recipe-tfjs', 'model.json'))).toBe(true);

    const f = await run(['export', '--model', 'pruned', '--out', 'tfjs-f32', '--json', '-q'], { cwd });
    expect(f.code, f.stderr).toBe(0);
    expect(f.stderr).toBe('');
    const fd = JSON.parse(f.stdout) as ExportDoc;
    expect(fd).toMatchObject({ ok: true, command: 'export', result: { output: { dir: join(cwd, 'tfjs-f32'), weights: 'float32', files: ['model.json', 'weights.bin'] }, verify: { samples: 4 } } });
    expect(fd.result.verify.maxAbsDiff).toBeLessThan(1e-5);
    const u = await run(['export', '-m', 'pruned', '--quantize', 'uint8', '-o', 'tfjs-u8', '--json'], { cwd });
    expect(u.code, u.stderr).toBe(0);
    expect(u.stderr).toContain('verified: outputs of the written files');
    const ud = JSON.parse(u.stdout) as ExportDoc;
    expect(ud.result.output.weights).toBe('uint8');
    // uint8 is lossy (per-tensor affine): non-zero, small difference.
    expect(ud.result.verify.maxAbsDiff).toBeGreaterThan(0);
    expect(ud.result.verify.maxAbsDiff).toBeLessThan(0.1);
    // Kernels are ~all of the weights: uint8 stores them in a quarter of the bytes.
    expect(ud.result.output.weightBytes).toBeLessThan(fd.result.output.weightBytes * 0.3);
    // The CLI leaks nothing.
    expect(tf.memory().numTensors).toBe(before);

    // Stock tfjs-layers loads the folders; predictions equal Bonsai's.
    const bonsai = await load(join(cwd, 'pruned'));
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 11);
    const y = bonsai.forward(x);
    const { zeros, total } = await bonsaiKernelZeros(join(cwd, 'pruned'));
    expect(zeros / total).toBeGreaterThan(0.4); // unstructured 50% on top of structured 50%
    const p = tf.softmax(y);
    const top = tf.argMax(y, 1);
    const scale = tf.tidy(() => tf.max(tf.abs(y)).dataSync()[0]!);
    expect(scale).toBeGreaterThan(0.1);
    for (const dir of ['tfjs-f32', 'tfjs-u8', 'recipe-tfjs']) {
      const keras = await loadFolderWithTfjs(join(cwd, dir));
      const yk = tfjsPredict(keras, x);
      if (dir === 'tfjs-f32') expect(maxAbsDiff(yk, y)).toBeLessThan(1e-4);
      else {
        // smallCnn outputs logits: class probabilities agree within 1e-2, logits within 2% of their range.
        const pk = tf.softmax(yk);
        expect(maxAbsDiff(pk, p), dir).toBeLessThan(1e-2);
        expect(maxAbsDiff(yk, y), dir).toBeLessThan(0.02 * scale);
        expect(maxAbsDiff(yk, y), dir).toBeGreaterThan(0); // really quantized
        pk.dispose();
      }
      const tk = tf.argMax(yk, 1);
      expect(Array.from(tk.dataSync())).toEqual(Array.from(top.dataSync()));
      tk.dispose();
      // Pruned (baked) zeros stay exactly zero; uint8 may round a few more tiny weights to zero.
      const kz = countZeros(keras.getWeights().filter((w) => w.rank >= 2));
      if (dir === 'tfjs-f32') expect(kz).toBe(zeros);
      else expect(kz).toBeGreaterThanOrEqual(zeros);
      yk.dispose();
      keras.dispose();
    }
    // The structured prune is physical: the exported conv kernels have the pruned widths.
    const json = JSON.parse(readFileSync(join(cwd, 'tfjs-f32', 'model.json'), 'utf8')) as { weightsManifest: Array<{ weights: Array<{ name: string; shape: number[] }> }> };
    const conv = json.weightsManifest[0]!.weights.find((w) => w.name === 'conv1/kernel')!;
    expect(conv.shape).toEqual([...bonsai.param('conv1', 'kernel')!.shape]);
    expect(conv.shape[3]).toBeLessThan(8);
    [x, y, p, top].forEach((t) => t.dispose());
    bonsai.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an int8 Bonsai model with a typed error (command and recipe step), exit code 1', async () => {
    const q = await run(['quantize', '--model', 'pruned', '--method', 'dynamic', '--out', 'int8', '-q', ...DATA_FLAGS], { cwd });
    expect(q.code, q.stderr).toBe(0);
    const before = tf.memory().numTensors;
    const r = await run(['export', '--model', 'int8', '--out', 'nope', '--json', '-q'], { cwd });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as ErrorDoc;
    expect(doc).toMatchObject({ ok: false, exitCode: 1, error: { name: 'ExportUnsupportedError', code: 'INTEROP' } });
    expect(doc.error.message).toContain('"int8"');
    expect(doc.error.message).toContain('per-channel int8 has no tfjs equivalent');
    expect(doc.error.message).toContain('--quantize uint8');
    expect(existsSync(join(cwd, 'nope'))).toBe(false);

    writeFileSync(join(cwd, 'q.json'), JSON.stringify({ model: { load: 'int8' }, data: DATA, steps: [{ type: 'export', output: 'nope' }] }));
    const s = await run(['compress', '-r', 'q.json', '--json', '-q'], { cwd });
    expect(s.code).toBe(1);
    expect(JSON.parse(s.stdout)).toMatchObject({ ok: false, error: { name: 'ExportUnsupportedError' } });
    expect(existsSync(join(cwd, 'nope'))).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates the export step: quantize, output, and no export after a quantize step', () => {
    const err = (steps: unknown[]): RecipeError => {
      try {
        parseRecipe({ model: { zoo: 'smallCnn' }, steps }, 'r.json');
      } catch (e) {
        expect(e).toBeInstanceOf(RecipeError);
        return e as RecipeError;
      }
      throw new Error('expected a RecipeError');
    };
    expect(parseRecipe({ model: { zoo: 'smallCnn' }, steps: [{ type: 'export', output: 'o' }] }).steps[0]).toEqual({ type: 'export', format: 'layers', output: 'o' });
    const bad = err([{ type: 'train', epochs: 1 }, { type: 'export', format: 'layers', quantize: 'int8', output: 'o' }]);
    expect(bad.path).toBe('steps[1].quantize');
    expect(bad.message).toBe("r.json: steps[1].quantize: Invalid enum value. Expected 'uint8' | 'uint16' | 'float16', received 'int8'");
    expect(err([{ type: 'export', format: 'savedModel', output: 'o' }]).path).toBe('steps[0].format');
    expect(err([{ type: 'export', quantize: 'uint8' }]).path).toBe('steps[0].output');
    const order = err([{ type: 'quantize', method: 'dynamic' }, { type: 'export', output: 'o' }]);
    expect(order.path).toBe('steps[1].type');
    expect(order.message).toContain('per-channel int8 has no tfjs LayersModel equivalent');
    expect(order.message).toContain('"quantize": "uint8"');
  });

  it('has --help and usage errors with exit code 2', async () => {
    const h = await run(['export', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: bonsai export --model');
    expect(h.stdout).toContain('--quantize <uint8|uint16|float16>');
    expect(h.stdout).toContain('--json');
    expect((await run(['--help'])).stdout).toMatch(/\n {2}export +write a saved float/);
    const noOut = await run(['export', '--model', 'x', '--json']);
    expect(noOut.code).toBe(2);
    expect(JSON.parse(noOut.stdout)).toMatchObject({ ok: false, exitCode: 2, error: { name: 'UsageError', message: 'export needs --out <dir>' } });
    expect((await run(['export'])).stderr).toContain('export needs --model <dir> and --out <dir>');
    const q = await run(['export', '--model', 'x', '--out', 'y', '--quantize', 'int8']);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain('option "--quantize" must be one of "uint8", "uint16", "float16", got "int8"');
    const missing = await run(['export', '--model', 'nowhere', '--out', 'y', '--json', '-q']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, exitCode: 1, error: { code: 'IO', name: 'IoError', reason: 'ENOENT' } });
  });
});
