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
    expect(doc.result.steps.map((s) => s.type)).toEqual(['train', 'eval', 'save', 'prune', 'eval', 'fineTune', 'quantize', 'eval']);
    const rows = doc.result.comparison.json.rows;
    expect(rows.map((r) => r.name)).toEqual(['dense', 'pruned 50%', 'pruned 50% + KD fine-tune + int8 static']);
    const [dense, pruned, final] = rows as [typeof rows[0], typeof rows[0], typeof rows[0]];
    expect(dense.accuracy).toBeGreaterThan(0.5);
    // half of the channels of conv1..conv4 and fc1 are gone: ~4x fewer params
    expect(dense.params / pruned.params).toBeGreaterThan(3.5);
    expect(final.params).toBeLessThan(pruned.params);
    expect(final.accuracy).toBeGreaterThan(0.2);
    expect(existsSync(join(cwd, 'o', 'compressed', 'model.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(cwd, 'o', 'compressed', 'model.json'), 'utf8')).quantization).toBeDefined();
    expect(r.stderr).toMatch(/calibrate \[#+\] 1\/1/);
    expect(existsSync(join(cwd, 'o', 'dense', 'model.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(cwd, 'o', 'dense', 'model.json'), 'utf8')).stage).toBe('dense');
    // stderr carries the progress lines (plain lines: not a TTY), stdout only JSON
    expect(r.stderr).toMatch(/train epoch 1\/1 \[#+\] 16\/16 .*in \d+:\d\d/);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});
