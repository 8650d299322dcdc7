import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeBlock } from './extract';

/** What running one block gave. */
export interface BlockRun {
  /** Exit code (null when killed by the timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** `tf.memory().numTensors` when the block's code had run to its end, or undefined if it never got there. */
  tensors: number | undefined;
  ms: number;
}

/** Options of {@link runBlock}. */
export interface RunOptions {
  /** Repository root (its packages/* and apps/* sources are what `@bonsai/<name>` imports). */
  root: string;
  /**
   * Empty folder to run in (the block's relative paths land here). Put it inside the README's
   * package so that the block's other imports (`@tensorflow/*`, `sharp`, ...) resolve as they
   * would for a user who installed that package.
   */
  workDir: string;
  timeoutMs?: number;
}

const TENSORS = '__BONSAI_README_TENSORS__';

/** Every workspace package's name -> its `src/index.ts` (packages/*, apps/*, tooling/*). */
export function sourcePaths(root: string): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const group of ['packages', 'apps', 'tooling']) {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const manifest = path.join(dir, name, 'package.json');
      const entry = path.join(dir, name, 'src', 'index.ts');
      if (!fs.existsSync(manifest) || !fs.existsSync(entry)) continue;
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (pkg.name) paths[pkg.name] = [entry];
    }
  }
  return paths;
}

/**
 * Runs one block as an ES module with tsx in a child process (`@bonsai/*` mapped to package
 * sources by a tsconfig in `workDir`), and reports its exit code, output and the live tensor count
 * at its end.
 */
export function runBlock(block: CodeBlock, options: RunOptions): Promise<BlockRun> {
  const { root, workDir, timeoutMs = 120_000 } = options;
  const tsconfig = path.join(workDir, 'tsconfig.json');
  fs.writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', paths: sourcePaths(root) } }));
  const file = path.join(workDir, 'example.mts');
  const footer = `\n;{ const __tf = await import('@tensorflow/tfjs-core'); console.log('${TENSORS}', __tf.memory().numTensors); }\n`;
  fs.writeFileSync(file, block.code + footer);
  // tsx's package entry is its loader (what `node --import tsx` runs).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, file], {
      cwd: workDir,
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (status) => {
      clearTimeout(timer);
      const m = new RegExp(`${TENSORS} (\\d+)`).exec(stdout);
      resolve({ status, stdout: stdout.replace(new RegExp(`${TENSORS} \\d+\\n?`), ''), stderr, tensors: m ? Number(m[1]) : undefined, ms: Date.now() - start });
    });
  });
}
