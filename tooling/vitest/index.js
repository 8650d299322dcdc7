// Shared vitest config: resolves every @bonsai/* package to its TypeScript source so tests
// never run against a stale dist/, writes a JSON report that .ci/run sums up.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Aliases `@bonsai/<name>` -> `packages/<name>/src/index.ts` for every package in the repo. */
export function bonsaiAliases() {
  const dir = path.join(root, 'packages');
  return fs.readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'src', 'index.ts')))
    .map((name) => ({ find: new RegExp(`^@bonsai/${name}$`), replacement: path.join(dir, name, 'src', 'index.ts') }));
}

/**
 * Packages whose test files need a fresh module graph each: core's tests register and replace
 * tfjs kernels and gradients (max-pool-grad.test.ts fails after another file in the same worker).
 */
const ISOLATED = new Set(['core']);

/**
 * Vitest config for the package in `packageDir` (pass `import.meta.dirname`).
 *
 * `isolate: false`: the test files of a worker share one module graph, so tfjs, the wasm backend
 * and the package sources load once per worker instead of once per file. Measured (session 6,
 * loaded machine): interop 32.9 -> 22.7 s CPU (vitest's import phase 74 -> 18 s), quantize
 * 39.1 -> 19.1 s, core 51.7 -> 35.4 s (core then fails, see ISOLATED). Each file still calls
 * initBackend itself and must leave global state (backend, registered kernels, env) as it found it;
 * a package that cannot goes in ISOLATED or passes `{ isolate: true }`.
 */
export function bonsaiVitestConfig(packageDir, overrides = {}) {
  const name = path.basename(packageDir);
  const reportDir = path.join(root, '.vitest-reports');
  return {
    resolve: { alias: bonsaiAliases() },
    test: {
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 300_000,
      pool: 'forks',
      maxWorkers: 2,
      isolate: ISOLATED.has(name),
      reporters: ['default', 'json'],
      outputFile: { json: path.join(reportDir, `${name}.json`) },
      ...overrides,
    },
  };
}
