import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../src/index';
import { run, tempDir } from './helpers';

interface Row { name: string; params: number; nonZero: number; sparsity: number; bytes: number; accuracy: number }
interface Doc { ok: boolean; result: { steps: Array<{ type: string; details: Record<string, unknown> }>; comparison: { json: { rows: Row[] } }; output?: { dir: string; bytes: number; format: string } } }

describe('recipe pipeline (synthetic data, MLP)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('ships example recipes that validate', () => {
    const dir = join(__dirname, '..', 'recipes');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(() => parseRecipe(JSON.parse(readFileSync(join(dir, f), 'utf8')), f), f).not.toThrow();
  });

  it('train -> compress (unstructured + AGP + int8 dynamic) -> eval of the saved int8 model', async () => {
    const cwd = tempDir();
    const before = tf.memory().numTensors;
    const data = ['--data', 'synthetic', '--train-size', '256', '--test-size', '64'];
    const trained = await run(['train', '--model', 'mlp300100', '--epochs', '2', '--out', 'dense', '--json', '-q', ...data], { cwd });
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toBe('');
    const t = JSON.parse(trained.stdout) as Doc;
    expect(t.result.output?.format).toBe('bonsai float32');
    expect(t.result.comparison.json.rows).toHaveLength(1);
    expect(t.result.comparison.json.rows[0]!.accuracy).toBeGreaterThan(0.9);

    writeFileSync(join(cwd, 'r.json'), JSON.stringify({
      model: { load: 'dense' },
      data: { dataset: 'synthetic', trainSize: 256, testSize: 64 },
      steps: [
        { type: 'prune', method: 'unstructured', importance: 'l1', ratio: 0.5 },
        { type: 'gradualPrune', finalSparsity: 0.8, initialSparsity: 0.5, epochs: 1, frequency: 1 },
        { type: 'quantize', method: 'dynamic' },
        { type: 'eval', latencyRuns: 2 },
      ],
      output: 'q',
    }));
    const c = await run(['compress', '-r', 'r.json', '--json'], { cwd });
    expect(c.code, c.stderr).toBe(0);
    const doc = JSON.parse(c.stdout) as Doc;
    expect(doc.result.steps.map((s) => s.type)).toEqual(['prune', 'gradualPrune', 'quantize', 'eval']);
    expect(doc.result.steps[0]!.details.sparsity).toBeCloseTo(0.5, 2);
    expect(doc.result.steps[1]!.details.sparsity).toBeCloseTo(0.8, 2);
    const [dense, final] = doc.result.comparison.json.rows;
    // loaded from disk: named from its provenance, not "dense"
    expect(dense!.name).toBe('input model');
    expect(final!.name).toBe('unstructured 50% + AGP 80% + int8 dynamic');
    // 300*784 + 100*300 + 10*100 kernel entries, 80% of them zero
    expect(dense!.nonZero - final!.nonZero).toBeGreaterThanOrEqual(Math.floor(0.8 * 266200) - 50);
    expect(final!.bytes).toBeLessThan(dense!.bytes / 4);
    expect(doc.result.output!.format).toBe("bonsai dynamic int8 (Bonsai's int8 format)");
    expect(doc.result.output!.bytes).toBe(final!.bytes);
    expect(c.stderr).toMatch(/gradual prune epoch 1\/1 \[#+\] 4\/4/);

    const e = await run(['eval', '--model', 'q', '--json', ...data, '--latency-runs', '2'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    const row = (JSON.parse(e.stdout) as Doc).result.comparison.json.rows[0]!;
    expect(row.name).toBe('dynamic quantized');
    expect(row.bytes).toBe(final!.bytes);
    expect(row.accuracy).toBeCloseTo(final!.accuracy, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lists a final model that an eval step measured once, even when export/save steps follow (prune-export-tfjs.json)', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'r.json'), JSON.stringify({
      model: { zoo: 'mlp300100' },
      data: { dataset: 'synthetic', trainSize: 64, testSize: 16 },
      steps: [{ type: 'train', epochs: 1, maxSteps: 1 }, { type: 'prune', method: 'unstructured', ratio: 0.5 }, { type: 'eval', latencyRuns: 1 }, { type: 'export', output: 'tfjs' }, { type: 'save', path: 'saved' }],
    }));
    const r = await run(['compress', '-r', 'r.json', '--json', '-q'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as Doc).result.comparison.json.rows;
    expect(rows.map((x) => x.name)).toEqual(['dense', 'unstructured 50%']);
  });

  it('fails with exit code 1 and a typed error when a saved model is missing', async () => {
    const r = await run(['eval', '--model', 'nowhere', '--json', '--data', 'synthetic', '--train-size', '8', '--test-size', '8']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 1, error: { code: 'IO', name: 'IoError' } });
  });
});
