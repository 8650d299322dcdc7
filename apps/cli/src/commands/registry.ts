import type { FlagSpecs } from '../args';
import { DEMO_FLAGS } from './demo-command';
import { EXPORT_FLAGS } from './export-command';
import { COMMON_FLAGS, RECIPE_FLAGS } from './flags';
import { INSPECT_FLAGS } from './inspect-command';
import { RECIPE_COMMANDS } from './recipe-commands';

/** One command: the single definition its parser, `--help` and the README tables come from. */
export interface CommandInfo {
  name: string;
  summary: string;
  usage: string;
  /** The command's own flags (shared and common flags are added by {@link allFlags}). */
  flags: FlagSpecs;
  /** `recipe`: the command also takes the recipe flags (`--recipe`, `--model`, `--data`, `--out`, ...). */
  shared?: 'recipe';
  /** Name of its positional argument, if it takes one. */
  positional?: string;
}

/** Every command, in the order `bonsai --help` lists them. */
export function commands(): CommandInfo[] {
  return [
    { name: 'demo', summary: 'train smallCnn on MNIST to ~98.5% (about 2 minutes on 2 cores), then compress it (prune + KD fine-tune + int8) and compare', usage: 'bonsai demo [--fast] [--out out] [--epochs n] [--no-compress]', flags: DEMO_FLAGS },
    { name: 'inspect', summary: 'print format, inputs/outputs, op counts, params, MACs and file size of a model', usage: 'bonsai inspect <model.json | folder> [--json]', flags: INSPECT_FLAGS, positional: 'model' },
    ...RECIPE_COMMANDS.map((c): CommandInfo => ({ name: c.name, summary: c.summary, usage: c.usage, flags: c.flags, shared: 'recipe', positional: c.positional })),
    {
      name: 'export',
      summary: 'write a saved float (dense or pruned) model as a stock tfjs LayersModel (model.json + weights.bin)',
      usage: 'bonsai export --model out/pruned [--quantize uint8|uint16|float16] --out out/tfjs',
      flags: EXPORT_FLAGS,
    },
  ];
}

/** The flags a command parses, in help order: shared (recipe) flags, its own, the common ones. */
export function allFlags(c: CommandInfo): FlagSpecs {
  return { ...(c.shared === 'recipe' ? RECIPE_FLAGS : {}), ...c.flags, ...COMMON_FLAGS };
}
