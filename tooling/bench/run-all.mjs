// `pnpm bench [--smoke] [--timeout <s>] [name...]`: runs every package's and app's `bench`
// script one after another (benchmarks must not share cores). A failing bench is reported and
// the rest still run; the run exits 1 at the end if any failed, with a summary of which.
// --smoke (or BONSAI_BENCH_SMOKE=1) runs every bench on tiny sizes; results go to
// bench-results/smoke/. Names filter by folder name (`pnpm bench prune quantize`).
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
      if (pkg.scripts?.bench) out.push({ name, pkg: pkg.name, dir: path.join(dir, name) });
    }
  }
  return out;
}

// pnpm when this runs under pnpm (npm_execpath), else the first pnpm on PATH.
const pnpm = process.env.npm_execpath && /pnpm/.test(process.env.npm_execpath)
  ? [process.execPath, process.env.npm_execpath]
  : ['pnpm'];

/** Runs one package's bench script in its own process group (a timeout kills the whole group). */
function run(cwd) {
  return new Promise((resolve) => {
    const child = spawn(pnpm[0], [...pnpm.slice(1), 'run', '--silent', 'bench'], {
      cwd,
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, ...(smoke ? { BONSAI_BENCH_SMOKE: '1' } : {}) },
    });
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = timeoutS > 0 ? setTimeout(() => ((timedOut = true), kill()), timeoutS * 1000) : undefined;
    const onSignal = () => (kill(), process.exit(130));
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
const selected = all.filter((b) => !only.length || only.includes(b.name) || only.includes(b.pkg));
const results = [];
const t0 = performance.now();
for (const b of selected) {
  console.log(`\n## ${b.pkg}${smoke ? ' (smoke)' : ''}\n`);
  const start = performance.now();
  const r = await run(b.dir);
  const seconds = (performance.now() - start) / 1000;
  const why = r.timedOut ? `timed out after ${timeoutS} s` : r.error ? r.error.message
    : r.signal ? `killed by ${r.signal}` : r.status !== 0 ? `exit code ${r.status}` : '';
  results.push({ ...b, seconds, why });
  if (why) console.error(`\nbench ${b.pkg} FAILED: ${why}`);
}

const total = (performance.now() - t0) / 1000;
const failed = results.filter((r) => r.why);
console.log(`\n## bench summary${smoke ? ' (smoke)' : ''}: ${results.length - failed.length} passed, ${failed.length} failed, ${total.toFixed(0)} s\n`);
for (const r of results) console.log(`- ${r.pkg}: ${r.why ? `FAILED (${r.why})` : 'ok'}, ${r.seconds.toFixed(1)} s`);
process.exit(failed.length ? 1 : 0);
