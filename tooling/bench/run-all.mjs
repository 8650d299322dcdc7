// `pnpm bench [--smoke] [--timeout <s>] [name...]`: runs every package's and app's `bench`
// script one after another (benchmarks must not share cores). A failing bench is reported and
// the rest still run; the run exits 1 at the end if any failed, with a summary of which.
// --smoke (or BONSAI_BENCH_SMOKE=1) runs every bench on tiny sizes; results go to
// bench-results/smoke/. Names filter by folder name (`pnpm bench prune quantize`, in that order).
// A real run ends by re-rendering the marked README tables from the new results.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const smoke = args.includes('--smoke') || ['1', 'true'].includes(process.env.BONSAI_BENCH_SMOKE ?? '');
const ti = args.indexOf('--timeout');
const timeoutS = ti >= 0 ? Number(args[ti + 1]) : smoke ? 150 : 0;
const only = args.filter((a, i) => !a.startsWith('--') && !(ti >= 0 && i === ti + 1));

/** Every workspace folder under packages/ and apps/ with a `bench` script, sorted. */
function benchPackages() {
  const out = [];
  for (const group of ['packages', 'apps']) {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const pkgFile = path.join(dir, name, 'package.json');
      if (!fs.existsSync(pkgFile)) continue;
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
      if (pkg.scripts?.bench) out.push({ name, pkg: pkg.name, dir: path.join(dir, name), script: pkg.scripts.bench });
    }
  }
  return out;
}


/**
 * Runs one package's bench script the way `pnpm run bench` would (a shell in the package folder,
 * its and the root's node_modules/.bin first on PATH), in its own process group, so a timeout
 * or Ctrl-C kills the whole group.
 */
function run(b) {
  return new Promise((resolve) => {
    const bin = [path.join(b.dir, 'node_modules', '.bin'), path.join(root, 'node_modules', '.bin')];
    const child = spawn(b.script, {
      cwd: b.dir,
      shell: true,
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, PATH: [...bin, process.env.PATH].join(path.delimiter), ...(smoke ? { BONSAI_BENCH_SMOKE: '1' } : {}) },
    });
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = timeoutS > 0
      ? setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutS * 1000)
      : undefined;
    const onSignal = () => {
      kill();
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    child.on('error', (error) => resolve({ error }));
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve({ status, signal, timedOut });
    });
  });
}

const all = benchPackages();
const unknown = only.filter((n) => !all.some((b) => b.name === n || b.pkg === n));
if (unknown.length) {
  console.error(`bench: no bench in ${unknown.join(', ')} (have: ${all.map((b) => b.name).join(', ')})`);
  process.exit(2);
}
// Named benches run in the order given; without names, all in folder order.
const selected = only.length ? only.map((n) => all.find((b) => b.name === n || b.pkg === n)) : all;
const results = [];
const t0 = performance.now();
for (const b of selected) {
  console.log(`\n## ${b.pkg}${smoke ? ' (smoke)' : ''}\n`);
  const start = performance.now();
  const r = await run(b);
  const seconds = (performance.now() - start) / 1000;
  const why = r.timedOut ? `timed out after ${timeoutS} s` : r.error ? r.error.message
    : r.signal ? `killed by ${r.signal}` : r.status !== 0 ? `exit code ${r.status}` : '';
  results.push({ ...b, seconds, why });
  if (why) console.error(`\nbench ${b.pkg} FAILED: ${why}`);
}

// After a real run, re-render the README tables marked with a results file (tooling/bench/readme.ts).
if (!smoke) {
  console.log('\n## README tables from results\n');
  const r = await new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'tooling', 'bench', 'readme.ts')], { cwd: root, stdio: 'inherit' });
    c.on('exit', (status) => resolve(status));
    c.on('error', () => resolve(1));
  });
  if (r !== 0) results.push({ pkg: 'README tables (tooling/bench/readme.ts)', seconds: 0, why: 'some marked tables do not match their results files' });
}

const total = (performance.now() - t0) / 1000;
const failed = results.filter((r) => r.why);
console.log(`\n## bench summary${smoke ? ' (smoke)' : ''}: ${results.length - failed.length} passed, ${failed.length} failed, ${total.toFixed(0)} s\n`);
for (const r of results) console.log(`- ${r.pkg}: ${r.why ? `FAILED (${r.why})` : 'ok'}, ${r.seconds.toFixed(1)} s`);
process.exit(failed.length ? 1 : 0);
