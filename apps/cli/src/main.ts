// Load tfjs-core's main entry before @bonsai/core: under vitest, core's import of
// register_all_gradients otherwise defines the global Tensor class without op handlers
// (Tensor.clone fails in BN gradients). Harmless in built bundles.
import '@tensorflow/tfjs-core';
import { BonsaiError } from '@bonsai/core';
import { readFile } from 'node:fs/promises';
import { formatFlags, parseArgs, suggest, type FlagSpecs, type FlagValues } from './args';
import { demoRecipe } from './commands/demo-recipe';
import { EXPORT_FLAGS, runExport } from './commands/export-command';
import { COMMON_FLAGS, RECIPE_FLAGS } from './commands/flags';
import { buildRecipe, RECIPE_COMMANDS, type RecipeCommand } from './commands/recipe-commands';
import { RunContext } from './context';
import { EXIT, exitCodeOf, RecipeError, UsageError } from './errors';
import { processIo, type CliIo } from './io';
import { runRecipe, type PipelineResult } from './pipeline';
import { parseRecipe, type RecipeInput } from './recipe';
import { resolvePath } from './model-source';
import { QUANTIZE_AVAILABLE } from './steps/quantize';
import { STRUCTURED_AVAILABLE } from './steps/structured';

/** Version printed by `bonsai --version`. */
export const VERSION = '0.1.0';

const DEMO_FLAGS: FlagSpecs = {
  fast: { type: 'boolean', description: 'tiny run (1000 digits, 1 epoch) for smoke tests; also BONSAI_DEMO_FAST=1' },
  out: { type: 'string', alias: 'o', valueName: 'dir', description: 'output root: <dir>/dense and <dir>/compressed (default out)' },
  epochs: { type: 'number', integer: true, valueName: 'n', description: 'dense training epochs (default 8, 1 with --fast)' },
  compress: { type: 'boolean', description: 'run the compression pipeline after training (default on when available; --no-compress to skip)' },
  printRecipe: { type: 'boolean', description: 'print the demo recipe as JSON and exit' },
};

interface CommandInfo {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpecs;
}

const DEMO: CommandInfo = {
  name: 'demo',
  summary: 'train smallCnn on MNIST to >= 98%, then compress it (prune + KD fine-tune + int8) and compare',
  usage: 'bonsai demo [--fast] [--out out] [--epochs 5] [--no-compress]',
  flags: DEMO_FLAGS,
};

const EXPORT: CommandInfo = {
  name: 'export',
  summary: 'write a saved float (dense or pruned) model as a stock tfjs LayersModel (model.json + weights.bin)',
  usage: 'bonsai export --model out/pruned [--quantize uint8|uint16|float16] --out out/tfjs',
  flags: EXPORT_FLAGS,
};

function commands(): CommandInfo[] {
  return [DEMO, ...RECIPE_COMMANDS.map((c) => ({ name: c.name, summary: c.summary, usage: c.usage, flags: { ...RECIPE_FLAGS, ...c.flags } })), EXPORT];
}

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
    'Run `bonsai <command> --help` for its options. Exit codes: 0 ok, 1 runtime failure, 2 usage or recipe error.',
  ].join('\n');
}

/** Help text of one command. */
export function commandHelp(name: string): string {
  const c = commands().find((x) => x.name === name);
  if (!c) throw new UsageError(`unknown command "${name}"`);
  return [`bonsai ${c.name} — ${c.summary}`, '', `Usage: ${c.usage}`, '', 'Options:', formatFlags({ ...c.flags, ...COMMON_FLAGS })].join('\n');
}

/** True when an env var is set to a truthy value (`1`, `true`, `yes`). */
function envFlag(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
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

function printResult(io: CliIo, json: boolean, command: string, result: PipelineResult | Record<string, unknown>): void {
  if (json) io.stdout.write(`${JSON.stringify({ ok: true, command, result }, null, 2)}\n`);
}

async function runDemo(flags: FlagValues, io: CliIo, ctx: RunContext): Promise<number> {
  const fast = flags.fast === true || envFlag(io.env.BONSAI_DEMO_FAST);
  const raw = demoRecipe({
    fast,
    out: typeof flags.out === 'string' ? flags.out : 'out',
    epochs: typeof flags.epochs === 'number' ? flags.epochs : undefined,
    compress: typeof flags.compress === 'boolean' ? flags.compress : STRUCTURED_AVAILABLE && QUANTIZE_AVAILABLE,
  });
  if (typeof flags.backend === 'string') raw.backend = flags.backend as 'wasm';
  const recipe = parseRecipe(raw, 'demo recipe');
  if (flags.printRecipe) {
    io.stdout.write(`${JSON.stringify(raw, null, 2)}\n`);
    return EXIT.ok;
  }
  ctx.log(`bonsai demo${fast ? ' (fast)' : ''}: smallCnn on MNIST${recipe.steps.some((s) => s.type === 'quantize') ? ' -> structured pruning 50% + KD fine-tune -> int8 static quantization' : ''}`);
  const result = await runRecipe(recipe, ctx, { cwd: io.cwd, latencyRuns: fast ? 5 : 30 });
  const train = result.steps.find((s) => s.type === 'train');
  const acc = result.comparison.json.rows[0]?.accuracy;
  if (train) ctx.report(`dense training: ${train.seconds.toFixed(1)} s; dense test accuracy ${acc !== undefined ? `${(acc * 100).toFixed(2)}%` : 'n/a'}; total ${result.seconds.toFixed(1)} s`);
  printResult(io, ctx.options.json, 'demo', result);
  return EXIT.ok;
}

async function runRecipeCommand(cmd: RecipeCommand, flags: FlagValues, io: CliIo, ctx: RunContext): Promise<number> {
  const file = typeof flags.recipe === 'string' ? flags.recipe : undefined;
  const fromFile = file ? await readRecipeFile(io, file) : undefined;
  const raw = buildRecipe(cmd, flags, fromFile);
  const recipe = parseRecipe(raw, file);
  if (flags.printRecipe) {
    io.stdout.write(`${JSON.stringify(recipe, null, 2)}\n`);
    return EXIT.ok;
  }
  const result = await runRecipe(recipe, ctx, { cwd: io.cwd });
  printResult(io, ctx.options.json, cmd.name, result);
  return EXIT.ok;
}

function errorJson(e: unknown): Record<string, unknown> {
  if (e instanceof BonsaiError) return { name: e.name, code: e.code, message: e.message, ...(e instanceof RecipeError ? { path: e.path } : {}) };
  return { name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Runs the `bonsai` CLI with `argv` (without node and script) on `io`; resolves to the exit code
 * (0 ok, 1 runtime failure, 2 usage or recipe error). Never calls process.exit, so tests can call
 * it in-process.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  const wantsJson = argv.includes('--json');
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
    const { flags, positionals } = parseArgs(rest, { ...info.flags, ...COMMON_FLAGS }, name);
    if (flags.help) {
      io.stdout.write(`${commandHelp(name)}\n`);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (options start with --)`, name);
    const ctx = new RunContext(io, { json: flags.json === true, quiet: flags.quiet === true });
    if (name === 'demo') return await runDemo(flags, io, ctx);
    if (name === 'export') {
      printResult(io, ctx.options.json, 'export', { ...(await runExport(flags, io, ctx)) });
      return EXIT.ok;
    }
    return await runRecipeCommand(RECIPE_COMMANDS.find((c) => c.name === name)!, flags, io, ctx);
  } catch (e) {
    const code = exitCodeOf(e);
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr.write(`\nbonsai: error: ${msg}\n`);
    if (code === EXIT.usage && e instanceof UsageError) io.stderr.write(`Run \`bonsai ${e.command ? `${e.command} ` : ''}--help\` for usage.\n`);
    if (code === EXIT.failure && !(e instanceof BonsaiError) && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    if (wantsJson) io.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error: errorJson(e) }, null, 2)}\n`);
    return code;
  }
}
