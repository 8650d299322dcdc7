/**
 * One bench's results: tables printed as Markdown while the bench runs and written, with
 * machine, runtime and git info, to `<package>/bench-results/<bench>.json`
 * (`bench-results/smoke/` in smoke mode, so smoke runs never overwrite real results).
 */
import fs from 'node:fs';
import path from 'node:path';
import { gitInfo, machineInfo, runtimeInfo, type GitInfo, type MachineInfo, type RuntimeInfo } from './machine';
import { isSmoke } from './smoke';
import { markdownTable, type Cell, type Table } from './table';

/** The JSON a bench writes. */
export interface ResultsFile {
  /** Results format version. */
  version: 1;
  bench: string;
  package: string;
  timestamp: string;
  smoke: boolean;
  git: GitInfo;
  machine: MachineInfo;
  runtime: RuntimeInfo;
  /** Settings the numbers depend on (sizes, epochs, seeds, ...). */
  settings: Record<string, unknown>;
  /** Wall time of the whole bench, seconds. */
  seconds: number;
  tables: Table[];
  notes: string[];
}

/** Options of {@link createReport}. */
export interface ReportOptions {
  /** Results file name without `.json`, e.g. `structured`. */
  bench: string;
  /** Package folder; default `process.cwd()` (pnpm runs a package's `bench` script there). */
  dir?: string;
  /** Settings recorded in the file. */
  settings?: Record<string, unknown>;
  /** Print tables and notes to stdout as they are added (default true). */
  print?: boolean;
}

/** A bench's results being collected. */
export interface Report {
  /** Adds a table (and prints it). `id` must be unique within the bench. */
  table(id: string, t: { title?: string; columns: string[]; rows: Cell[][]; note?: string }): Table;
  /** Adds a free-text note (and prints it). */
  note(text: string): void;
  /** Merges into the recorded settings. */
  settings(s: Record<string, unknown>): void;
  /** Writes the results file and returns its path. Call once, at the end. */
  write(): string;
  /** The results collected so far (what `write` writes). */
  toJSON(): ResultsFile;
}

function packageName(dir: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name ?? path.basename(dir);
  } catch {
    return path.basename(dir);
  }
}

/** Folder the results of the package in `dir` go to (`bench-results` or `bench-results/smoke`). */
export function resultsDir(dir: string = process.cwd(), smoke: boolean = isSmoke()): string {
  return path.join(dir, 'bench-results', ...(smoke ? ['smoke'] : []));
}

/** Starts collecting one bench's results. */
export function createReport(options: ReportOptions): Report {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(options.bench)) throw new RangeError(`createReport: bench name must be a plain file name, got '${options.bench}'`);
  const dir = options.dir ?? process.cwd();
  const print = options.print ?? true;
  const started = performance.now();
  const timestamp = new Date().toISOString();
  const tables: Table[] = [];
  const notes: string[] = [];
  const settings: Record<string, unknown> = { ...options.settings };
  const smoke = isSmoke();
  // The commit the bench started from (helpers may commit while a long bench runs).
  const git = gitInfo(dir);
  const snapshot = (): ResultsFile => ({
    version: 1,
    bench: options.bench,
    package: packageName(dir),
    timestamp,
    smoke,
    git,
    machine: machineInfo(),
    runtime: runtimeInfo(),
    settings,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    tables,
    notes,
  });
  return {
    table(id, t) {
      if (tables.some((x) => x.id === id)) throw new RangeError(`report ${options.bench}: duplicate table id '${id}'`);
      const md = markdownTable(t.columns, t.rows);
      const table: Table = { id, ...(t.title ? { title: t.title } : {}), columns: [...t.columns], rows: t.rows.map((r) => [...r]), ...(t.note ? { note: t.note } : {}) };
      tables.push(table);
      if (print) console.log(`${t.title ? `### ${t.title}\n\n` : ''}${md}\n${t.note ? `\n${t.note}\n` : ''}`);
      return table;
    },
    note(text) {
      notes.push(text);
      if (print) console.log(`${text}\n`);
    },
    settings(s) {
      Object.assign(settings, s);
    },
    write() {
      const out = resultsDir(dir, smoke);
      fs.mkdirSync(out, { recursive: true });
      if (smoke && !fs.existsSync(path.join(out, '.gitignore'))) fs.writeFileSync(path.join(out, '.gitignore'), '# smoke results are never committed\n*\n');
      const file = path.join(out, `${options.bench}.json`);
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, `${JSON.stringify(snapshot(), null, 2)}\n`);
      fs.renameSync(tmp, file);
      if (print) console.log(`results: ${path.relative(process.cwd(), file) || file}`);
      return file;
    },
    toJSON: snapshot,
  };
}
