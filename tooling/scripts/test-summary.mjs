// Sums the vitest JSON reports in .vitest-reports/ and prints one line: "N passed, N failed".
// Exits 1 when no test ran, any failed, any was skipped or left as todo, or a workspace package
// that has test files produced no report (its tests did not run).
import fs from 'node:fs';
import path from 'node:path';

const dir = '.vitest-reports';
let passed = 0, failed = 0, skipped = 0;
const problems = [];
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const f of files) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  const pending = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  skipped += pending;
  if (pending > 0) problems.push(`${f}: ${pending} skipped or todo test(s) (.skip/.todo are not allowed)`);
  if ((r.numFailedTestSuites ?? 0) > 0 && (r.numFailedTests ?? 0) === 0) failed += r.numFailedTestSuites;
}

/** Workspace folders (packages/*, apps/*, tooling/*) that hold at least one *.test.ts / *.test.mjs file. */
function packagesWithTests() {
  const out = [];
  const hasTest = (d) => fs.readdirSync(d, { withFileTypes: true }).some((e) =>
    e.name !== 'node_modules' && e.name !== 'dist' &&
    (e.isDirectory() ? hasTest(path.join(d, e.name)) : /\.test\.(ts|mts|js|mjs)$/.test(e.name)));
  for (const group of ['packages', 'apps', 'tooling']) {
    if (!fs.existsSync(group)) continue;
    for (const name of fs.readdirSync(group)) {
      const d = path.join(group, name);
      if (fs.existsSync(path.join(d, 'package.json')) && hasTest(d)) out.push(name);
    }
  }
  return out;
}
const reported = new Set(files.map((f) => f.replace(/\.json$/, '')));
for (const name of packagesWithTests()) {
  if (!reported.has(name)) problems.push(`${name}: has test files but wrote no report to ${dir}/${name}.json (its tests did not run)`);
}
for (const p of problems) console.log(`test-summary: ${p}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(passed > 0 && failed === 0 && problems.length === 0 ? 0 : 1);
