import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const cli = join(__dirname, '..');
/** tsx's loader by absolute URL, so scripts run from any folder. */
const tsx = pathToFileURL(join(cli, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Runs a script with tsx in a child process (the real process, its handlers and exit code). */
function node(args: string[], cwd = cli): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', tsx, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('the bonsai process', () => {
  it('prints one line and exits 1 for an error thrown after the wasm backend loaded', () => {
    const script = (): string => `
      import { initBackend } from '@bonsai/core';
      import { installProcessHandlers } from './src/process-handlers.ts';
      await initBackend('wasm');
      installProcessHandlers();
      setTimeout(() => { throw new Error('stray failure'); }, 0);`;
    const guarded = node(['--input-type=module', '-e', script()]);
    expect(guarded.code).toBe(1);
    expect(guarded.stderr).toBe('bonsai: unexpected error: stray failure (run with --verbose for the stack trace)\n');
  });

  it('src/bin.ts: one line and exit 1 for a missing model (usage and range errors: see compress.test.ts)', () => {
    const cwd = tempDir();
    const missing = node([join(cli, 'src', 'bin.ts'), 'inspect', 'nope', '-q'], cwd);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('bonsai: nope: no such model file or folder (ENOENT)\n');
  });
});
