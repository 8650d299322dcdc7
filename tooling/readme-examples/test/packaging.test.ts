import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// What a user installs: every published package carries the licence and the metadata, its
// exports work for import and require() (Node >= 20.19), and its packed manifest names no private
// workspace package.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tmp = fs.mkdtempSync(path.join(root, 'tooling', 'readme-examples', '.runs-pack-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
  engines?: { node?: string };
  files?: string[];
  scripts?: Record<string, string>;
  exports?: Record<string, Record<string, string> | string>;
  devDependencies?: Record<string, string>;
}

const published = ['packages', 'apps']
  .flatMap((g) => fs.readdirSync(path.join(root, g)).map((n) => path.join(g, n)))
  .filter((d) => fs.existsSync(path.join(root, d, 'package.json')))
  .map((d) => ({ dir: d, pkg: JSON.parse(fs.readFileSync(path.join(root, d, 'package.json'), 'utf8')) as Manifest }))
  .filter(({ pkg }) => !pkg.private);

describe('packages a user can trust', () => {
  it('the root LICENSE is the Apache License 2.0, as every package declares', () => {
    const text = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
    expect(text).toContain('Apache License');
    expect(text).toContain('Version 2.0, January 2004');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
    expect(published.length).toBeGreaterThanOrEqual(10);
    for (const { pkg } of published) expect(pkg.license, pkg.name).toBe('Apache-2.0');
  });

  it('every published package.json has repository, homepage, bugs, engines, LICENSE in files and an import+require exports map', () => {
    for (const { dir, pkg } of published) {
      expect(pkg.repository?.directory, pkg.name).toBe(dir);
      expect(pkg.repository?.url, pkg.name).toMatch(/^git\+https:\/\/.+\.git$/);
      expect(pkg.homepage, pkg.name).toMatch(/^https:\/\//);
      expect(pkg.bugs?.url, pkg.name).toMatch(/^https:\/\//);
      expect(pkg.engines?.node, pkg.name).toBe('>=20.19');
      expect(pkg.files, pkg.name).toContain('LICENSE');
      expect(pkg.scripts?.prepack, pkg.name).toBe('node ../../tooling/scripts/copy-license.mjs');
      for (const [sub, cond] of Object.entries(pkg.exports ?? {})) {
        if (typeof cond === 'string') continue;
        expect(Object.keys(cond), `${pkg.name} ${sub}`).toEqual(expect.arrayContaining(['types', 'import', 'require', 'default']));
        expect(Object.keys(cond)[0], `${pkg.name} ${sub}: "types" comes first`).toBe('types');
        expect(cond.require, `${pkg.name} ${sub}`).toBe(cond.import);
      }
    }
  });

  it('a CommonJS script can require() @bonsai/core and @bonsai/quantize from a linked install (Node >= 20.19)', () => {
    const app = path.join(tmp, 'cjs-app');
    fs.mkdirSync(path.join(app, 'node_modules', '@bonsai'), { recursive: true });
    for (const n of ['core', 'quantize']) fs.symlinkSync(path.join(root, 'packages', n), path.join(app, 'node_modules', '@bonsai', n), 'dir');
    fs.writeFileSync(path.join(app, 'index.cjs'), [
      "const core = require('@bonsai/core');",
      "const quantize = require('@bonsai/quantize');",
      "core.initBackend('cpu').then(() => {",
      "  const b = new core.GraphBuilder();",
      "  const m = core.Model.create(b.build(b.dense(b.input([3]), { units: 2 })), { seed: 1 });",
      "  const q = quantize.quantizeDynamic(m);",
      "  console.log(JSON.stringify({ IoError: typeof core.IoError, quantized: q.quantizedWeights.size }));",
      '});',
    ].join('\n'));
    const r = spawnSync(process.execPath, ['index.cjs'], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ IoError: 'function', quantized: 1 });
  });

  it('pnpm pack puts LICENSE in the tarball and drops devDependencies (private workspace packages)', () => {
    const dest = path.join(tmp, 'packs');
    fs.mkdirSync(dest);
    execFileSync('npx', ['--yes', 'pnpm@10.34.9', 'pack', '--pack-destination', dest], { cwd: path.join(root, 'packages', 'quantize'), stdio: 'pipe' });
    const tgz = path.join(dest, fs.readdirSync(dest).find((f) => f.endsWith('.tgz'))!);
    const list = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
    expect(list).toContain('package/LICENSE');
    expect(list).toContain('package/dist/index.js');
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' })) as Manifest & { dependencies: Record<string, string> };
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.dependencies['@bonsai/core']).toMatch(/^\d+\.\d+\.\d+$/); // workspace:* replaced by a version
    expect(execFileSync('tar', ['-xzOf', tgz, 'package/LICENSE'], { encoding: 'utf8' })).toBe(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'));
  }, 120_000);
});
