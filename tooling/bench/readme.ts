// `npx tsx tooling/bench/readme.ts [--check]`: renders every README table marked
// `<!-- bench: <results.json>#<table> -->` from its results file (default), or only checks that
// every marked table matches its results files (--check; exits 1 listing the problems).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkReadme, markedReadmes, writeReadme } from './src/readme';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const check = process.argv.includes('--check');
const readmes = markedReadmes(root);
if (!check) for (const r of readmes) console.log(`${r}: ${writeReadme(root, r)} table(s) rendered from results`);
const problems = readmes.flatMap((r) => checkReadme(root, r));
for (const p of problems) console.error(p);
console.log(`${readmes.length} README(s) with bench tables, ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
