import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BackendError, initBackend } from '../src/index';

// The cpu backend package is "not installed" in this file: its import fails as Node's would.
vi.mock('@tensorflow/tfjs-backend-cpu', () => {
  throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-backend-cpu' imported from /app/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
});

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/index.ts');
// Child scripts live inside the package so that they resolve its @tensorflow/* dependencies.
const tmp = fs.mkdtempSync(path.join(path.dirname(src), '..', '.tmp-exit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(name: string, code: string): Promise<{ status: number | null; stderr: string }> {
  const file = path.join(tmp, `${name}.mts`);
  fs.writeFileSync(file, code);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: path.dirname(src), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stderr }));
  });
}

describe('backend errors', () => {
  it('a missing backend package is a BackendError with an install hint', async () => {
    const e = await initBackend('cpu').then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(BackendError);
    expect((e as Error).message).toBe('Backend "cpu" needs the package @tensorflow/tfjs-backend-cpu: install it next to @tensorflow/tfjs-core (npm install @tensorflow/tfjs-backend-cpu@4.22.0)');
    await expect(initBackend('gpu' as 'cpu')).rejects.toThrow(BackendError);
  });

  it("the wasm runtime's handlers do not decide the exit code: an uncaught error after initBackend('wasm') exits 1", async () => {
    const [uncaught, rejected, stock] = await Promise.all([
      run('uncaught', `import { initBackend } from ${JSON.stringify(src)};\nawait initBackend('wasm');\nsetTimeout(() => { throw new Error('boom after init'); }, 0);\n`),
      run('rejected', `import { initBackend } from ${JSON.stringify(src)};\nawait initBackend('wasm');\nvoid Promise.reject(new Error('rejected after init'));\n`),
      // The oracle: stock tfjs without Bonsai's clean-up exits 7 ("internal exception handler failure").
      run('stock', `import * as tf from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-backend-wasm';\nawait tf.setBackend('wasm');\nsetTimeout(() => { throw new Error('boom stock'); }, 0);\n`),
    ]);
    expect(stock.status, stock.stderr).toBe(7);
    expect(uncaught.status, uncaught.stderr).toBe(1);
    expect(uncaught.stderr).toContain('boom after init');
    expect(rejected.status, rejected.stderr).toBe(1);
    expect(rejected.stderr).toContain('rejected after init');
  }, 60_000);
});
