import type { FlagSpecs } from '../args';
import { PREPROCESS_PRESETS } from '../recipe';

/** Flags every command accepts. */
export const COMMON_FLAGS: FlagSpecs = {
  help: { type: 'boolean', alias: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print a machine-readable JSON result on stdout (progress stays on stderr)' },
  quiet: { type: 'boolean', alias: 'q', description: 'no progress bars or log lines on stderr' },
  verbose: { type: 'boolean', description: 'on failure, print the stack trace and the error\'s cause after the one-line message' },
  backend: { type: 'string', choices: ['wasm', 'cpu'], defaultText: 'the recipe\'s, else wasm', description: 'tfjs backend' },
};

/** Flags of the recipe commands (train, prune, quantize, distill, eval, compress). */
export const RECIPE_FLAGS: FlagSpecs = {
  recipe: { type: 'string', alias: 'r', valueName: 'file', description: 'recipe JSON file (other flags override its fields)' },
  model: { type: 'string', alias: 'm', valueName: 'zoo-name|dir', description: 'model: a zoo name (smallCnn, lenet5, ...), a folder saved by bonsai, or a tfjs LayersModel/GraphModel (model.json or its folder)' },
  import: { type: 'string', valueName: 'dir', description: 'model: a tfjs LayersModel folder (model.json + weights); same as --model <dir> for such a folder' },
  out: { type: 'string', alias: 'o', valueName: 'dir', description: 'where to write the resulting model; required unless the recipe has "output" (exit 2 without it); checked for writability before any work' },
  data: {
    type: 'string',
    valueName: 'mnist|synthetic|folder|file.npy|file.npz',
    default: 'mnist',
    description: 'data: MNIST (8000/2000 split), a synthetic toy set, an image folder (one subfolder per class, or flat = unlabeled) or a .npy/.npz file (x, optional y)',
  },
  inputSize: { type: 'string', valueName: 'HxW', defaultText: 'the model\'s input size', description: 'resize file images to height x width (e.g. 224x224)' },
  preprocess: { type: 'string', choices: PREPROCESS_PRESETS, defaultText: 'recorded in the model, else its own input scaling, else [0,1]', description: 'pixel preprocessing of file data: [0,1] (x/255), [-1,1], imagenet (mean/std) or none (values as stored)' },
  trainSize: { type: 'number', integer: true, min: 1, valueName: 'n', description: 'use the first n training samples' },
  testSize: { type: 'number', integer: true, min: 1, valueName: 'n', description: 'use the first n test samples' },
  seed: { type: 'number', integer: true, min: 0, valueName: 'n', default: 0, description: 'seed of initialization and shuffling' },
  printRecipe: { type: 'boolean', description: 'print the effective recipe as JSON and exit' },
};
