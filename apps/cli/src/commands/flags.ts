import type { FlagSpecs } from '../args';

/** Flags every command accepts. */
export const COMMON_FLAGS: FlagSpecs = {
  help: { type: 'boolean', alias: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print a machine-readable JSON result on stdout (progress stays on stderr)' },
  quiet: { type: 'boolean', alias: 'q', description: 'no progress bars or log lines on stderr' },
  backend: { type: 'string', choices: ['wasm', 'cpu'], description: 'tfjs backend (default: the recipe\'s, else wasm)' },
};

/** Flags of the recipe commands (train, prune, quantize, distill, eval, compress). */
export const RECIPE_FLAGS: FlagSpecs = {
  recipe: { type: 'string', alias: 'r', valueName: 'file', description: 'recipe JSON file (other flags override its fields)' },
  model: { type: 'string', alias: 'm', valueName: 'zoo-name|dir', description: 'model: a zoo name (smallCnn, lenet5, ...) or a folder saved by bonsai' },
  import: { type: 'string', valueName: 'dir', description: 'model: a tfjs LayersModel folder (model.json + weights)' },
  out: { type: 'string', alias: 'o', valueName: 'dir', description: 'where to write the resulting model' },
  trainSize: { type: 'number', integer: true, valueName: 'n', description: 'use the first n training digits' },
  testSize: { type: 'number', integer: true, valueName: 'n', description: 'use the first n test digits' },
  dataset: { type: 'string', choices: ['mnist', 'synthetic'], description: 'dataset (default mnist)' },
  seed: { type: 'number', integer: true, valueName: 'n', description: 'seed of initialization and shuffling' },
  printRecipe: { type: 'boolean', description: 'print the effective recipe as JSON and exit' },
};
