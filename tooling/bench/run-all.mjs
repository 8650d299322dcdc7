// Runs every package's and app's `bench` script one after another (benchmarks must not share cores).
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const only = process.argv.slice(2);
for (const group of ['packages', 'apps']) {
  for (const name of fs.readdirSync(group).sort()) {
    const pkgFile = path.join(group, name, 'package.json');
    if (!fs.existsSync(pkgFile)) continue;
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    if (!pkg.scripts?.bench) continue;
    if (only.length && !only.includes(name)) continue;
    console.log(`\n## ${pkg.name}\n`);
    execSync('pnpm run --silent bench', { cwd: path.join(group, name), stdio: 'inherit' });
  }
}
