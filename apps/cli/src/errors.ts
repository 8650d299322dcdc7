import { BonsaiError, ConfigError } from '@bonsai/core';

/** Exit codes of the `bonsai` CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A bad command line: unknown command or flag, missing or malformed value. Exit code 2. */
export class UsageError extends ConfigError {
  constructor(message: string, readonly command?: string) {
    super(message, { command });
    this.name = 'UsageError';
  }
}

/** A recipe that does not validate; `path` is the JSON path of the bad field (e.g. `steps[2].ratio`). Exit code 2. */
export class RecipeError extends ConfigError {
  constructor(message: string, readonly path: string, readonly file?: string) {
    super(`${file ? `${file}: ` : ''}${path ? `${path}: ` : ''}${message}`, { path, file });
    this.name = 'RecipeError';
  }
}

/**
 * A model that cannot be written as a tfjs LayersModel: an int8 (per-channel) Bonsai model has
 * no tfjs equivalent. Exit code 1.
 */
export class ExportUnsupportedError extends BonsaiError {
  constructor(message: string, readonly model?: string) {
    super('INTEROP', message, { model });
    this.name = 'ExportUnsupportedError';
  }
}

/**
 * The exit code for an error thrown by a command: 2 for usage, range and recipe errors, 1 for
 * everything else (file-system failures, bad model files, runtime errors).
 */
export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError || e instanceof RecipeError ? EXIT.usage : EXIT.failure;
}

/** The message on one line (multi-line messages, e.g. several recipe problems, joined with `; `). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

/**
 * The one line a failure prints: `bonsai: <message>`, with a `--help` hint for usage errors and a
 * `--verbose` hint for errors Bonsai did not anticipate; `verbose` appends the stack and causes.
 */
export function errorLine(e: unknown, o: { verbose?: boolean } = {}): string {
  const msg = oneLine(e instanceof Error ? e.message || e.name : String(e));
  let line: string;
  if (e instanceof UsageError) line = `bonsai: ${msg} (see \`bonsai ${e.command ? `${e.command} ` : ''}--help\`)`;
  else if (e instanceof BonsaiError) line = `bonsai: ${msg}`;
  else line = `bonsai: unexpected error: ${msg}${o.verbose ? '' : ' (run with --verbose for the stack trace)'}`;
  if (!o.verbose) return line;
  const parts = [line];
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    if (cur.stack) parts.push(depth === 0 ? cur.stack : `caused by: ${cur.stack}`);
    cur = (cur as { cause?: unknown }).cause;
  }
  if (cur !== undefined && !(cur instanceof Error)) parts.push(`caused by: ${String(cur)}`);
  return parts.join('\n');
}

/** The `error` object of a `--json` failure document. */
export function errorJson(e: unknown): Record<string, unknown> {
  if (e instanceof BonsaiError) {
    return { name: e.name, code: e.code, message: e.message, ...(e instanceof RecipeError ? { path: e.path } : {}), ...('path' in e && !(e instanceof RecipeError) ? { path: (e as { path?: unknown }).path, reason: (e as { reason?: unknown }).reason } : {}) };
  }
  return { name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) };
}
