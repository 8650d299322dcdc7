import { UsageError } from './errors';

/** Declaration of one command-line flag. */
export interface FlagSpec {
  type: 'boolean' | 'string' | 'number';
  description: string;
  /** One-letter alias used as `-x`. */
  alias?: string;
  /** Placeholder shown in help (`--out <dir>`). */
  valueName?: string;
  /** For numbers: accept only integers. */
  integer?: boolean;
  /** For strings: the accepted values. */
  choices?: readonly string[];
  /** Value used when the flag is absent (shown in `--help` and the README tables). */
  default?: string | number | boolean;
  /** Where the default depends on something else, how to describe it (e.g. `8 (1 with --fast)`). */
  defaultText?: string;
  /** For numbers: smallest accepted value (inclusive). */
  min?: number;
  /** For numbers: largest accepted value (inclusive). */
  max?: number;
  /** For numbers: the value must be strictly greater than `min` / strictly less than `max`. */
  exclusive?: boolean;
}

/** Flags of a command by long name (camelCase in code, kebab-case on the command line). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Parsed flag values by long (camelCase) name. */
export type FlagValues = Record<string, string | number | boolean | undefined>;

/** Result of {@link parseArgs}. */
export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
}

/** `outDir` -> `out-dir`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Parses `argv` (without node and script) against `specs`, like util.parseArgs but with typed
 * numbers, choices and errors that name the flag. Accepts `--flag value`, `--flag=value`,
 * `--no-flag` (booleans), `-x` aliases and `--` (everything after it is positional).
 * @throws UsageError on an unknown flag, a missing or malformed value.
 */
export function parseArgs(argv: readonly string[], specs: FlagSpecs, command?: string): ParsedArgs {
  const byLong = new Map<string, string>();
  const byAlias = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    byLong.set(kebab(name), name);
    if (spec.alias) byAlias.set(spec.alias, name);
  }
  const flags: FlagValues = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    let key: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      key = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else {
      const alias = arg.slice(1);
      const name = byAlias.get(alias);
      if (!name) throw new UsageError(`unknown option "${arg}"${suggest(alias, [...byAlias.keys()], '-')}`, command);
      key = kebab(name);
    }
    const name = byLong.get(key);
    if (!name && key.startsWith('no-')) {
      const positive = byLong.get(key.slice(3));
      if (positive && specs[positive]!.type === 'boolean') {
        if (inline !== undefined) throw new UsageError(`option "--${key}" takes no value`, command);
        flags[positive] = false;
        continue;
      }
    }
    if (!name) throw new UsageError(`unknown option "--${key}"${suggest(key, [...byLong.keys()], '--')}`, command);
    const spec = specs[name]!;
    const flag = `--${key}`;
    if (spec.type === 'boolean') {
      if (inline === undefined) flags[name] = true;
      else if (inline === 'true' || inline === 'false') flags[name] = inline === 'true';
      else throw new UsageError(`option "${flag}" is a switch: use ${flag} or --no-${key}, got "${inline}"`, command);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`option "${flag}" needs a value${spec.valueName ? ` <${spec.valueName}>` : ''}`, command);
      value = next;
      i++;
    }
    flags[name] = spec.type === 'number' ? parseNumber(value, flag, spec, command) : parseChoice(value, flag, spec, command);
  }
  return { flags, positionals };
}

function parseNumber(text: string, flag: string, spec: FlagSpec, command?: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) throw new UsageError(`option "${flag}" expects a number, got "${text}"`, command);
  if (spec.integer && !Number.isInteger(n)) throw new UsageError(`option "${flag}" expects an integer, got "${text}"`, command);
  const ex = spec.exclusive === true;
  if (spec.min !== undefined && (ex ? n <= spec.min : n < spec.min)) throw new UsageError(`option "${flag}" must be ${ex ? '>' : '>='} ${spec.min}, got ${text}`, command);
  if (spec.max !== undefined && (ex ? n >= spec.max : n > spec.max)) throw new UsageError(`option "${flag}" must be ${ex ? '<' : '<='} ${spec.max}, got ${text}`, command);
  return n;
}

function parseChoice(text: string, flag: string, spec: FlagSpec, command?: string): string {
  if (spec.choices && !spec.choices.includes(text)) {
    throw new UsageError(`option "${flag}" must be one of ${spec.choices.map((c) => `"${c}"`).join(', ')}, got "${text}"`, command);
  }
  return text;
}

/** ` (did you mean "--x"?)` for the closest candidate within edit distance 2, else ''. */
export function suggest(input: string, candidates: readonly string[], prefix = ''): string {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(input, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best === undefined ? '' : ` (did you mean "${prefix}${best}"?)`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** `<dir>`, `<l1|l2>` or '' (switches): the value placeholder of a flag. */
export function valuePlaceholder(s: FlagSpec): string {
  return s.type === 'boolean' ? '' : `<${s.valueName ?? (s.choices ? s.choices.join('|') : s.type)}>`;
}

/** The default of a flag as shown to people (`8`, `on`, `"out"`), or undefined when it has none. */
export function defaultText(s: FlagSpec): string | undefined {
  if (s.defaultText !== undefined) return s.defaultText;
  if (s.default === undefined) return undefined;
  if (typeof s.default === 'boolean') return s.default ? 'on' : 'off';
  return String(s.default);
}

/** The flags with every absent one set to its declared default. */
export function withDefaults(specs: FlagSpecs, flags: FlagValues): FlagValues {
  const out: FlagValues = { ...flags };
  for (const [name, s] of Object.entries(specs)) if (out[name] === undefined && s.default !== undefined) out[name] = s.default;
  return out;
}

/** Help text lines for `specs`: `  -o, --out <dir>   description (default x)`. */
export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const value = valuePlaceholder(s);
    const d = defaultText(s);
    return [`${s.alias ? `-${s.alias}, ` : '    '}--${kebab(name)}${value ? ` ${value}` : ''}`, `${s.description}${d !== undefined ? ` (default ${d})` : ''}`] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`).join('\n');
}

/** A Markdown table of `specs` (option, value, default, description): the README's option tables are this text. */
export function markdownFlags(specs: FlagSpecs): string {
  const esc = (t: string): string => t.replace(/\|/g, '\\|');
  const rows = Object.entries(specs).map(([name, s]) => {
    const value = valuePlaceholder(s);
    const opt = `${s.alias ? `\`-${s.alias}\`, ` : ''}\`--${kebab(name)}\``;
    return `| ${opt} | ${value ? `\`${esc(value)}\`` : 'switch'} | ${esc(defaultText(s) ?? '')} | ${esc(s.description)} |`;
  });
  return ['| option | value | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
