import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferSink, main, type CliIo } from '../src/index';

/** Result of running the CLI in-process. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh temporary working directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bonsai-cli-'));
}

/** Runs `bonsai <argv>` in-process with captured streams in `cwd`. */
export async function run(argv: string[], options: { cwd?: string; env?: Record<string, string>; tty?: boolean } = {}): Promise<CliRun> {
  const stdout = new BufferSink(false);
  const stderr = new BufferSink(options.tty ?? false);
  const io: CliIo = { stdout, stderr, env: options.env ?? {}, cwd: options.cwd ?? tempDir() };
  const code = await main(argv, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
