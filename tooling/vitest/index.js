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

/** Vitest config for the package in `packageDir` (pass `import.meta.dirname`). */
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
      reporters: ['default', 'json'],
      outputFile: { json: path.join(reportDir, `${name}.json`) },
      ...overrides,
    },
  };
}
