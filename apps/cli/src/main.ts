import { readFile } from 'node:fs/promises';
import { formatFlags, parseArgs, suggest, type FlagValues } from './args';
import { runDemo } from './commands/demo-command';
import { runExport } from './commands/export-command';
import { COMMON_FLAGS } from './commands/flags';
import { runInspect } from './commands/inspect-command';
import { buildRecipe, checkHasOutput, RECIPE_COMMANDS, type RecipeCommand } from './commands/recipe-commands';
import { allFlags, commands } from './commands/registry';
import { RunContext } from './context';
import { EXIT, errorJson, errorLine, exitCodeOf, RecipeError, UsageError } from './errors';
import { processIo, type CliIo } from './io';
import { runRecipe, type PipelineResult, type RunRecipeOptions } from './pipeline';
import { parseRecipe, type RecipeInput } from './recipe';
import { resolvePath } from './model-source';

/** Version printed by `bonsai --version`. */
export const VERSION = '0.1.0';

/** Top-level usage text. */
export function usage(): string {
  const cmds = commands();
  const w = Math.max(...cmds.map((c) => c.name.length));
  return [
    'bonsai — compress neural networks (pruning, quantization, distillation) on tfjs + WASM',
    '',
    'Usage: bonsai <command> [options]',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Common options:',
    formatFlags(COMMON_FLAGS),
    '',
    'Run `bonsai <command> --help` for its options. Exit codes: 0 ok, 1 runtime or file-system failure, 2 usage, range or recipe error.',
  ].join('\n');
}

/** Help text of one command. */
export function commandHelp(name: string): string {
  const c = commands().find((x) => x.name === name);
  if (!c) throw new UsageError(`unknown command "${name}"`);
  return [`bonsai ${c.name} — ${c.summary}`, '', `Usage: ${c.usage}`, '', 'Options:', formatFlags(allFlags(c))].join('\n');
}

async function readRecipeFile(io: CliIo, file: string): Promise<RecipeInput> {
  const full = resolvePath(io.cwd, file);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (e) {
    throw new RecipeError(`cannot read the recipe (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, '', file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RecipeError(`invalid JSON: ${(e as Error).message}`, '', file);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RecipeError('a recipe must be a JSON object', '(root)', file);
  return raw as RecipeInput;
}

function printResult(io: CliIo, json: boolean, command: string, result: PipelineResult | object): void {
  if (json) io.stdout.write(`${JSON.stringify({ ok: true, command, result }, null, 2)}\n`);
}

async function runRecipeCommand(cmd: RecipeCommand, flags: FlagValues, model: string | undefined, io: CliIo, ctx: RunContext, extra: Partial<RunRecipeOptions>): Promise<number> {
  const file = typeof flags.recipe === 'string' ? flags.recipe : undefined;
  const fromFile = file ? await readRecipeFile(io, file) : undefined;
  const raw = buildRecipe(cmd, flags, fromFile, model);
  const recipe = parseRecipe(raw, file);
  if (flags.printRecipe) {
    io.stdout.write(`${JSON.stringify(recipe, null, 2)}\n`);
    return EXIT.ok;
  }
  checkHasOutput(cmd, recipe);
  const result = await runRecipe(recipe, ctx, { cwd: io.cwd, ...extra });
  printResult(io, ctx.options.json, cmd.name, result);
  return EXIT.ok;
}

/** Options of {@link main} for tests and embedding. */
export interface MainOptions {
  /** Passed to the recipe runner (e.g. an injected data loader). */
  recipe?: Partial<RunRecipeOptions>;
}

/**
 * Runs the `bonsai` CLI with `argv` (without node and script) on `io`; resolves to the exit code
 * (0 ok, 1 runtime or file-system failure, 2 usage, range or recipe error). Every failure is one
 * line on stderr, `bonsai: <message>` (the stack too with `--verbose`). Never calls process.exit,
 * so tests can call it in-process.
 */
export async function main(argv: readonly string[], io: CliIo = processIo(), options: MainOptions = {}): Promise<number> {
  const [name, ...rest] = argv;
  const wantsJson = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  try {
    if (name === undefined) {
      io.stderr.write(`${usage()}\n`);
      return EXIT.usage;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      if (name === 'help' && rest[0]) io.stdout.write(`${commandHelp(rest[0])}\n`);
      else io.stdout.write(`${usage()}\n`);
      return EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${VERSION}\n`);
      return EXIT.ok;
    }
    const info = commands().find((c) => c.name === name);
    if (!info) {
      const hint = name.startsWith('-') ? ' (the command comes first: bonsai <command> [options])' : suggest(name, commands().map((c) => c.name));
      throw new UsageError(`unknown command "${name}"${hint}`);
    }
    const { flags, positionals } = parseArgs(rest, allFlags(info), name);
    if (flags.help) {
      io.stdout.write(`${commandHelp(name)}\n`);
      return EXIT.ok;
    }
    const maxPositionals = info.positional ? 1 : 0;
    if (positionals.length > maxPositionals) {
      throw new UsageError(`unexpected argument "${positionals[maxPositionals]}" (${info.positional ? `${name} takes one <${info.positional}>; ` : ''}options start with --)`, name);
    }
    const ctx = new RunContext(io, { json: flags.json === true, quiet: flags.quiet === true });
    if (name === 'demo') return await runDemo(flags, io, ctx, (r) => printResult(io, ctx.options.json, 'demo', r));
    if (name === 'inspect') {
      printResult(io, ctx.options.json, 'inspect', await runInspect(positionals[0], flags, io, ctx));
      return EXIT.ok;
    }
    if (name === 'export') {
      printResult(io, ctx.options.json, 'export', { ...(await runExport(flags, io, ctx)) });
      return EXIT.ok;
    }
    return await runRecipeCommand(RECIPE_COMMANDS.find((c) => c.name === name)!, flags, positionals[0], io, ctx, options.recipe ?? {});
  } catch (e) {
    const code = exitCodeOf(e);
    io.stderr.write(`${errorLine(e, { verbose })}\n`);
    if (wantsJson) io.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error: errorJson(e) }, null, 2)}\n`);
    return code;
  }
}
