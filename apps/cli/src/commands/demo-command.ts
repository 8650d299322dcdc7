import type { FlagSpecs, FlagValues } from '../args';
import type { RunContext } from '../context';
import { EXIT } from '../errors';
import type { CliIo } from '../io';
import { defaultWorkers } from '../parallel-training';
import { runRecipe, type PipelineResult } from '../pipeline';
import { parseRecipe } from '../recipe';
import { QUANTIZE_AVAILABLE } from '../steps/quantize';
import { STRUCTURED_AVAILABLE } from '../steps/structured';
import { DEMO_DEFAULTS, demoRecipe } from './demo-recipe';

/** Flags of `bonsai demo`. */
export const DEMO_FLAGS: FlagSpecs = {
  fast: { type: 'boolean', default: false, description: 'tiny run (1000 digits, 1 epoch) for smoke tests; also BONSAI_DEMO_FAST=1' },
  out: { type: 'string', alias: 'o', valueName: 'dir', default: 'out', description: 'output root: <dir>/dense and <dir>/compressed' },
  epochs: { type: 'number', integer: true, min: 1, valueName: 'n', default: DEMO_DEFAULTS.epochs, defaultText: `${DEMO_DEFAULTS.epochs} (1 with --fast)`, description: 'dense training epochs' },
  workers: { type: 'number', integer: true, min: 1, max: 64, valueName: 'n', defaultText: 'min(2, available cores)', description: 'worker threads of the dense training (@bonsai/parallel); 1 = one thread (core train())' },
  compress: { type: 'boolean', default: true, description: 'run the compression pipeline after training (--no-compress to skip)' },
  printRecipe: { type: 'boolean', default: false, description: 'print the demo recipe as JSON and exit' },
};

/** True when an env var is set to a truthy value (`1`, `true`, `yes`). */
function envFlag(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** `bonsai demo`: train smallCnn on MNIST, compress it, print the table; resolves to the exit code. */
export async function runDemo(flags: FlagValues, io: CliIo, ctx: RunContext, print: (result: PipelineResult) => void): Promise<number> {
  const fast = flags.fast === true || envFlag(io.env.BONSAI_DEMO_FAST);
  const raw = demoRecipe({
    fast,
    out: typeof flags.out === 'string' ? flags.out : String(DEMO_FLAGS.out!.default),
    epochs: typeof flags.epochs === 'number' ? flags.epochs : undefined,
    compress: typeof flags.compress === 'boolean' ? flags.compress : STRUCTURED_AVAILABLE && QUANTIZE_AVAILABLE,
    workers: typeof flags.workers === 'number' ? flags.workers : defaultWorkers(),
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
  const workers = (train?.details as { workers?: number } | undefined)?.workers ?? 1;
  if (train) ctx.report(`dense training: ${train.seconds.toFixed(1)} s (${workers > 1 ? `${workers} worker threads` : 'one thread'}); dense test accuracy ${acc !== undefined ? `${(acc * 100).toFixed(2)}%` : 'n/a'}; total ${result.seconds.toFixed(1)} s`);
  print(result);
  return EXIT.ok;
}
