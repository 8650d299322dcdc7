import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers';

describe('bonsai demo --fast', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('trains, evaluates and saves end to end on a tiny MNIST subset, with --json on stdout', async () => {
    const cwd = tempDir();
    const before = tf.memory().numTensors;
    const r = await run(['demo', '--fast', '--json', '--out', 'o'], { cwd });
    expect(r.stderr).toContain('backend: wasm (simd: yes');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; command: string; result: { steps: Array<{ type: string }>; comparison: { json: { rows: Array<{ name: string; accuracy: number; params: number }> } } } };
    expect(doc.ok).toBe(true);
    expect(doc.command).toBe('demo');
    expect(doc.result.steps.map((s) => s.type).slice(0, 3)).toEqual(['train', 'eval', 'save']);
    const dense = doc.result.comparison.json.rows[0]!;
    expect(dense.name).toBe('dense');
    expect(dense.accuracy).toBeGreaterThan(0.5);
    expect(existsSync(join(cwd, 'o', 'dense', 'model.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(cwd, 'o', 'dense', 'model.json'), 'utf8')).stage).toBe('dense');
    // stderr carries the progress lines (plain lines: not a TTY), stdout only JSON
    expect(r.stderr).toMatch(/train epoch 1\/1 \[#+\] 16\/16 .*in \d+:\d\d/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
