/**
 * README benchmark tables tied to results files. A table is marked by an HTML comment on the
 * line before it:
 * - `<!-- bench: packages/prune/bench-results/structured.json#structured -->`: the table is
 *   rendered from that results file's table `structured` (`writeReadme` rewrites it; the check
 *   fails when it differs);
 * - `<!-- bench: a.json b.json -->` (no `#`): a hand-written summary; the check fails when a
 *   number in it (outside the first column) appears in none of the named files.
 * Paths are relative to the repository root.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResultsFile } from './results';
import { markdownTable } from './table';

/** One marked table in a README. */
export interface MarkedTable {
  /** Line index of the marker comment. */
  line: number;
  /** Results files named by the marker. */
  files: string[];
  /** Table id to render, for rendered tables. */
  tableId?: string;
  /** The Markdown table lines after the marker (may be empty). */
  table: string[];
}

const MARKER = /^<!--\s*bench:\s*(.+?)\s*-->\s*$/;

/** The marked tables of a README's text. */
export function findMarkedTables(text: string): MarkedTable[] {
  const lines = text.split('\n');
  const out: MarkedTable[] = [];
  for (const [i, l] of lines.entries()) {
    const m = MARKER.exec(l.trim());
    if (!m) continue;
    const refs = m[1]!.split(/\s+/);
    const hashed = refs.filter((r) => r.includes('#'));
    const table: string[] = [];
    for (let j = i + 1; j < lines.length && lines[j]!.trim().startsWith('|'); j++) table.push(lines[j]!);
    out.push(hashed.length
      ? { line: i, files: [hashed[0]!.split('#')[0]!], tableId: hashed[0]!.split('#')[1]!, table }
      : { line: i, files: refs, table });
  }
  return out;
}

/**
 * Numbers in a string that a check compares: digit runs with optional thousands commas and
 * decimals, signs and units dropped; a number glued to a word (`int8`, `ResNet-50`, `fc1`) is a
 * name, not a measurement, and is skipped.
 */
export function numbersIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\d[\d,]*(?:\.\d+)?/g)) {
    const before = text.slice(Math.max(0, m.index - 2), m.index);
    if (/[A-Za-z_]-?$/.test(before) && !/(^|[^A-Za-z])x$/.test(before)) continue;
    out.push(m[0].replace(/,$/, ''));
  }
  return out;
}

function readResults(root: string, file: string): ResultsFile {
  const p = path.join(root, file);
  if (!fs.existsSync(p)) throw new Error(`${file}: results file not found (run \`pnpm bench\`)`);
  return JSON.parse(fs.readFileSync(p, 'utf8')) as ResultsFile;
}

/** The Markdown of results table `id` of `file`. */
export function renderTable(root: string, file: string, id: string): string {
  const r = readResults(root, file);
  const t = r.tables.find((x) => x.id === id);
  if (!t) throw new Error(`${file}: no table '${id}' (has: ${r.tables.map((x) => x.id).join(', ')})`);
  return markdownTable(t.columns, t.rows);
}

/** Problems of one README's marked tables (empty when every table matches its results). */
export function checkReadme(root: string, readme: string): string[] {
  const text = fs.readFileSync(path.join(root, readme), 'utf8');
  const problems: string[] = [];
  for (const m of findMarkedTables(text)) {
    const where = `${readme}:${m.line + 1}`;
    if (m.table.length < 3) {
      problems.push(`${where}: marker not followed by a table`);
      continue;
    }
    try {
      if (m.tableId) {
        const want = renderTable(root, m.files[0]!, m.tableId);
        if (m.table.join('\n').trim() !== want.trim()) problems.push(`${where}: table differs from ${m.files[0]}#${m.tableId} (run \`npx tsx tooling/bench/readme.ts\`)`);
        continue;
      }
      const known = new Set(m.files.flatMap((f) => numbersIn(JSON.stringify(readResults(root, f)))));
      for (const row of m.table.slice(2)) {
        const cells = row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).slice(1);
        for (const n of numbersIn(cells.join(' | '))) if (!known.has(n)) problems.push(`${where}: ${n} (in "${row.trim().slice(0, 80)}") is in none of ${m.files.join(', ')}`);
      }
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** Rewrites every rendered table of a README from its results file; returns how many changed. */
export function writeReadme(root: string, readme: string): number {
  const file = path.join(root, readme);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let changed = 0;
  for (const m of findMarkedTables(lines.join('\n')).reverse()) {
    if (!m.tableId || !fs.existsSync(path.join(root, m.files[0]!))) continue;
    const want = renderTable(root, m.files[0]!, m.tableId).split('\n');
    if (want.join('\n') === m.table.join('\n')) continue;
    lines.splice(m.line + 1, m.table.length, ...want);
    changed++;
  }
  if (changed) fs.writeFileSync(file, lines.join('\n'));
  return changed;
}

/** README.md files of the repository root and of every workspace package that have marked tables. */
export function markedReadmes(root: string): string[] {
  const out: string[] = [];
  const consider = (rel: string): void => {
    const p = path.join(root, rel);
    if (fs.existsSync(p) && findMarkedTables(fs.readFileSync(p, 'utf8')).length) out.push(rel);
  };
  consider('README.md');
  for (const group of ['packages', 'apps', 'tooling']) {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) consider(path.join(group, name, 'README.md'));
  }
  return out;
}
